package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestTextGuard feeds the guard XML through a small bound: text and
// CDATA past it are cut and marked, markup past it refused, the rest
// passed through byte for byte, in any read sizes.
func TestTextGuard(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{"short text", `<a x="1">hello</a>`, `<a x="1">hello</a>`, ""},
		{"text cut", `<a>0123456789abcdef0123456789abcdef</a><b>ok</b>`, `<a>0123456789abcdef01234567<?topo-cut?></a><b>ok</b>`, ""},
		{"text at the bound", `<a>0123456789abcdef01234567</a>`, `<a>0123456789abcdef01234567</a>`, ""},
		{"'>' inside an attribute", `<a x=">>>" y='>"'>text</a>`, `<a x=">>>" y='>"'>text</a>`, ""},
		{"CDATA cut", `<a><![CDATA[0123456789abcdef0123456789]]]]></a><b/>`, `<a><![CDATA[0123456789abcdef01234567]]><?topo-cut?></a><b/>`, ""},
		{"CDATA short", `<a><![CDATA[<x>]]]></a>`, `<a><![CDATA[<x>]]]></a>`, ""},
		{"comment and PI", `<?xml v="1"?><!-- <a> --><a>x</a>`, `<?xml v="1"?><!-- <a> --><a>x</a>`, ""},
		{"tag too long", `<a x="0123456789abcdef0123456789">`, "", "markup of more than 24 bytes"},
		{"comment too long", `<!-- 0123456789abcdef0123456789 -->`, "", "markup of more than 24 bytes"},
	} {
		for _, step := range []int{1, 3, 1 << 10} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, step), func(t *testing.T) {
				g := newTextGuard(strings.NewReader(tc.in), 24)
				var out bytes.Buffer
				p := make([]byte, step)
				var err error
				for {
					var n int
					n, err = g.Read(p)
					out.Write(p[:n])
					if err != nil {
						break
					}
				}
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err %v, want %q", err, tc.err)
					}
					return
				}
				if !errors.Is(err, io.EOF) || out.String() != tc.want {
					t.Fatalf("got %q, %v; want %q", out.String(), err, tc.want)
				}
			})
		}
	}
}

// FuzzTextGuard: under a bound no input reaches, the guard passes every
// byte through unchanged; under a small one it never panics or stalls,
// whatever it is fed.
func FuzzTextGuard(f *testing.F) {
	f.Add(`<a x=">">t</a><![CDATA[x]]><!-- c --><?p?>`)
	f.Add(header + inline(2, "a@x.co"))
	f.Fuzz(func(t *testing.T, in string) {
		out, err := io.ReadAll(newTextGuard(strings.NewReader(in), 1<<20))
		if err != nil || string(out) != in {
			t.Fatalf("changed %q into %q (%v)", in, out, err)
		}
		_, _ = io.ReadAll(newTextGuard(strings.NewReader(in), 4))
	})
}
