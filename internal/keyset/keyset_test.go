package keyset

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestKeySet(t *testing.T) {
	s := New()
	const n = 50_000
	for i := range n {
		h := s.Hash("key" + string(rune(i)) + strings.Repeat("x", i%7))
		if _, ok := s.Lookup(h); ok {
			continue // a genuinely repeated key string
		}
		s.Add(h, uint32(i+2))
	}
	for i := range n {
		h := s.Hash("key" + string(rune(i)) + strings.Repeat("x", i%7))
		if _, ok := s.Lookup(h); !ok {
			t.Fatalf("key %d lost", i)
		}
	}
	if _, ok := s.Lookup(s.Hash("never added")); ok {
		t.Error("found a key never added")
	}
	if row, _ := s.Lookup(s.Hash("key" + string(rune(0)))); row != 2 {
		t.Errorf("first key on row %d, want 2", row)
	}
}

// BenchmarkKeySet10M puts 10,000,000 distinct keys (by hash) in a set and
// reports the process's resident memory per key: its growth while the set
// filled, and the peak, which includes a shard's old and new tables side by
// side while it grows (issue 12: at most 16 bytes a key).
func BenchmarkKeySet10M(b *testing.B) {
	const n = 10_000_000
	for b.Loop() {
		runtime.GC()
		before := procStatus(b, "VmRSS")
		s := New()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range n {
			if _, existed := s.Put(rng.Uint64()|1, uint32(i)); existed {
				b.Fatal("a random 64-bit hash came twice")
			}
		}
		after, peak := procStatus(b, "VmRSS"), procStatus(b, "VmHWM")
		b.ReportMetric(float64(after-before)/n, "RSS-B/key")
		b.ReportMetric(float64(peak-before)/n, "peak-RSS-B/key")
		b.ReportMetric(float64(s.Bytes())/n, "table-B/key")
		s.Free()
	}
}

// procStatus reads a size in bytes from /proc/self/status.
func procStatus(b *testing.B, field string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status:", err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestDelete: a deleted key is gone, every other key stays findable with
// its row, and the key can be added again.
func TestDelete(t *testing.T) {
	s := New()
	defer s.Free()
	const n = 50_000
	for i := range n {
		s.Add(s.Hash(fmt.Sprint("k", i)), uint32(i))
	}
	for i := 0; i < n; i += 3 {
		if !s.Delete(s.Hash(fmt.Sprint("k", i))) {
			t.Fatalf("key %d was not there to delete", i)
		}
	}
	if s.Delete(s.Hash("never added")) {
		t.Error("deleted a key never added")
	}
	for i := range n {
		row, ok := s.Lookup(s.Hash(fmt.Sprint("k", i)))
		if deleted := i%3 == 0; ok == deleted || ok && row != i {
			t.Fatalf("key %d: found %v (row %d) after deleting every third", i, ok, row)
		}
	}
	if want := n - (n+2)/3; s.Len() != want {
		t.Errorf("Len %d, want %d", s.Len(), want)
	}
	s.Add(s.Hash("k0"), 7)
	if row, ok := s.Lookup(s.Hash("k0")); !ok || row != 7 {
		t.Errorf("a deleted key added again: %d, %v", row, ok)
	}
}

// TestKeySetAcrossGrowthSteps fills the shards past the size where they
// stop doubling and grow by a quarter, prefetching as validate does.
func TestKeySetAcrossGrowthSteps(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Free()
	const n = 1_200_000 // 256 shards of about 4,700: past keyDoubleBelow
	rng := rand.New(rand.NewPCG(3, 4))
	hashes := make([]uint64, n)
	for i := range hashes {
		hashes[i] = rng.Uint64() | 1
		s.Prefetch(hashes[i])
		if _, existed := s.Put(hashes[i], uint32(i)); existed {
			t.Fatalf("hash %d was there before it was put", i)
		}
	}
	if s.Len() != n {
		t.Fatalf("Len = %d, want %d", s.Len(), n)
	}
	for i, h := range hashes {
		if row, ok := s.Lookup(h); !ok || row != i {
			t.Fatalf("hash %d: row %d, %v; want %d", i, row, ok, i)
		}
	}
	if _, ok := s.Lookup(2); ok {
		t.Error("found a hash never put")
	}
}
