package rows

import (
	"fmt"
	"testing"
	"time"
)

// benchRows are the shapes internal/listgen writes (BenchmarkValidateMillion's
// input), in its proportions: most rows an email in mixed case, some a
// mailto: and a LinkedIn URL, a tenth a LinkedIn URL alone, a quarter an
// until date.
func benchRows(n int) []Fields {
	out := make([]Fields, n)
	reasons := []string{"unsubscribed", "competitor", "contact_refused", "BOUNCED", "Exclude from CRM", "wrong person"}
	for i := range out {
		f := Fields{Reason: reasons[i%len(reasons)], Message: "imported from CRM"}
		switch i % 10 {
		case 7, 8:
			f.Email = fmt.Sprintf("mailto:person.%d@example%d.com", i, i%97)
			f.LinkedInURL = fmt.Sprintf("https://www.linkedin.com/in/person-%d/", i)
		case 9:
			f.LinkedInURL = fmt.Sprintf("linkedin.com/in/Person-%d?trk=x", i)
		default:
			f.Email = fmt.Sprintf("Person.%d@Example%d.com", i, i%97)
		}
		if i%4 == 0 {
			f.Until = "2099-12-31"
		}
		out[i] = f
	}
	return out
}

// BenchmarkNormalize is the per-row cost of checking a row on its own
// (every normaliser, the key hashes): the reading stage of validate.
func BenchmarkNormalize(b *testing.B) {
	in := benchRows(4096)
	v := NewValidator("", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	defer v.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if r := v.Normalize(i+2, in[i%len(in)]); r.Status != StatusValid {
			b.Fatal(r.Err)
		}
		i++
	}
}

// BenchmarkDedupe is the per-row cost of the duplicate check on 1,000,000
// rows of distinct keys, in batches as validate does it.
func BenchmarkDedupe(b *testing.B) {
	const n = 1_000_000
	in := benchRows(4096)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		v := NewValidator("", now)
		batch := make([]Row, 0, 512)
		var all [][]Row
		for i := range n {
			f := in[i%len(in)]
			f.Email, f.LinkedInURL = fmt.Sprint(i, f.Email), ""
			batch = append(batch, v.Normalize(i+2, f))
			if len(batch) == cap(batch) {
				all, batch = append(all, batch), make([]Row, 0, 512)
			}
		}
		b.StartTimer()
		for _, batch := range all {
			v.DedupeAll(batch)
		}
		b.StopTimer()
		v.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/row")
}
