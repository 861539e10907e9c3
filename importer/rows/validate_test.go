package rows

import (
	"fmt"
	"testing"
	"time"
)

// TestDedupeAllIsDedupe: deduplicating a batch at once (validate's way,
// reading ahead in the set) marks the same rows, with the same words, as
// one row at a time, invalid rows and rows with two keys included.
func TestDedupeAllIsDedupe(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var in []Fields
	for i := range 3000 {
		f := Fields{Reason: "other", Email: fmt.Sprintf("p%d@example.com", i%1700)}
		switch i % 7 {
		case 0:
			f.LinkedInURL = fmt.Sprintf("linkedin.com/in/p%d", i%900)
		case 1:
			f.Email = ""
			f.LinkedInURL = fmt.Sprintf("linkedin.com/in/p%d", i%900)
		case 2:
			f.Reason = "spam" // invalid: never remembered
		}
		in = append(in, f)
	}
	one, all := NewValidator("", now), NewValidator("", now)
	defer one.Close()
	defer all.Close()
	var batch []Row
	for i, f := range in {
		batch = append(batch, all.Normalize(i+2, f))
	}
	for start := 0; start < len(batch); start += 512 {
		all.DedupeAll(batch[start:min(start+512, len(batch))])
	}
	dups := 0
	for i, f := range in {
		want := one.Check(i+2, f)
		if got := batch[i]; got.Status != want.Status || got.Err != want.Err {
			t.Fatalf("row %d: DedupeAll says %s %q, Dedupe %s %q", i+2, got.Status, got.Err, want.Status, want.Err)
		}
		if want.Status == StatusDuplicate {
			dups++
		}
	}
	if dups < 500 {
		t.Errorf("only %d duplicates: the test does not test", dups)
	}
}
