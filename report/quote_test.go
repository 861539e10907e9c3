package report

import (
	"strings"
	"testing"
)

// TestNeedsQuotes checks the eight-bytes-at-a-time test against the plain
// byte loop, for each special byte at every position of short and long
// cells and for bytes that differ from a special one by a bit.
func TestNeedsQuotes(t *testing.T) {
	t.Parallel()
	naive := func(s string, delim byte) bool {
		return strings.ContainsAny(s, string(delim)+",\"\r\n")
	}
	fillers := []byte{'a', 0, 0x7f, 0x80, 0xff, ',' ^ 1, '"' ^ 0x80, '\n' + 1, ';' - 1}
	for _, delim := range []byte{',', ';', '\t'} {
		for n := 0; n <= 24; n++ {
			for _, fill := range fillers {
				plain := strings.Repeat(string(fill), n)
				if got, want := needsQuotes(plain, delim), naive(plain, delim); got != want {
					t.Errorf("needsQuotes(%q, %q) = %v, want %v", plain, delim, got, want)
				}
				for i := range n {
					for _, c := range []byte{delim, ',', '"', '\r', '\n'} {
						s := plain[:i] + string(c) + plain[i+1:]
						if got, want := needsQuotes(s, delim), naive(s, delim); got != want {
							t.Errorf("needsQuotes(%q, %q) = %v, want %v", s, delim, got, want)
						}
					}
				}
			}
		}
	}
}
