package importer

import (
	"strings"
	"testing"
)

func TestKeySet(t *testing.T) {
	s := NewKeySet()
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
