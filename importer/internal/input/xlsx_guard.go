package input

import (
	"bytes"
	"fmt"
	"io"
)

// cutTarget names the processing instruction textGuard puts where it cut
// a text run: the sheet reader then knows that cell lost its end.
const cutTarget = "topo-cut"

var (
	cutMarker      = []byte("<?" + cutTarget + "?>")
	cutCDATAMarker = []byte("]]><?" + cutTarget + "?>")
)

// textGuard sits between a sheet's decompressed XML and the XML decoder,
// which keeps each text node whole in memory (one 600 MiB cell, 600 MiB
// and more). It passes the XML through, but cuts any text run (or CDATA
// section) longer than max bytes, dropping the rest to the next markup and
// putting a <?topo-cut?> instruction in its place; markup longer than max
// (a tag, a comment), which no sheet holds, is an error. So what the
// decoder keeps at once stays within max, whatever the sheet.
type textGuard struct {
	r   io.Reader
	max int

	buf []byte // read from r; buf[off:] is not passed on yet
	off int
	out []byte // an injected marker, passed on before more of buf
	err error  // r's error, or the guard's own, once buf is used up

	state guardState
	run   int  // bytes of the current text run, or markup
	ends  int  // how many of the end's leading bytes were just seen ("--", "]]", "?")
	quote byte // in a tag, the quote of the attribute value being read
}

type guardState uint8

const (
	gText      guardState = iota // character data
	gSkipText                    // character data past the bound: dropped
	gOpen                        // just after '<'
	gBang                        // just after "<!"
	gTag                         // in a start or end tag
	gComment                     // in <!-- ... -->
	gCDATAHead                   // in "<![CDATA[" before its '['
	gCDATA                       // in a CDATA section
	gSkipCDATA                   // in a CDATA section past the bound: dropped
	gPI                          // in <? ... ?>
	gDecl                        // in <!DOCTYPE ...> and the like
)

func newTextGuard(r io.Reader, max int) *textGuard {
	return &textGuard{r: r, max: max, buf: make([]byte, 0, 32<<10)}
}

func (g *textGuard) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.out) > 0 {
			c := copy(p[n:], g.out)
			g.out, n = g.out[c:], n+c
			continue
		}
		if g.off == len(g.buf) {
			if n > 0 || g.err != nil {
				break
			}
			m, err := g.r.Read(g.buf[:cap(g.buf)])
			g.buf, g.off, g.err = g.buf[:m], 0, err
			continue
		}
		w, err := g.pass(p[n:])
		n += w
		if err != nil {
			g.err, g.buf, g.off = err, g.buf[:0], 0
			break
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, g.err
}

// pass moves bytes of buf into p as the state allows, up to an injected
// marker, and returns how many it wrote.
func (g *textGuard) pass(p []byte) (int, error) {
	in := g.buf[g.off:]
	i, n := 0, 0
	for i < len(in) && n < len(p) && len(g.out) == 0 {
		c := in[i]
		switch g.state {
		case gText:
			if c == '<' {
				break
			}
			if g.run == g.max {
				g.out, g.state = cutMarker, gSkipText
				i++
				continue
			}
			// A plain run, at once: to the next '<', the bound or p's end.
			k := len(in) - i
			if j := bytes.IndexByte(in[i:], '<'); j >= 0 {
				k = j
			}
			k = min(k, len(p)-n, g.max-g.run)
			copy(p[n:], in[i:i+k])
			i, n, g.run = i+k, n+k, g.run+k
			continue
		case gSkipText:
			j := bytes.IndexByte(in[i:], '<')
			if j < 0 {
				i = len(in)
				continue
			}
			i += j
			g.state, g.run = gText, 0 // the '<' is markup's again
			continue
		case gSkipCDATA:
			i++
			if g.closes(c, ']', 2) {
				g.state, g.run = gText, 0
			}
			continue
		case gCDATA:
			if g.run == g.max {
				g.out, g.state, g.ends = cutCDATAMarker, gSkipCDATA, 0
				if c == ']' {
					g.ends = 1
				}
				i++
				continue
			}
		}
		if err := g.markup(c); err != nil {
			g.off += i
			return n, err
		}
		p[n] = c
		i, n = i+1, n+1
	}
	g.off += i
	return n, nil
}

// markup follows the state through one byte that is passed on.
func (g *textGuard) markup(c byte) error {
	g.run++
	switch g.state {
	case gText:
		g.state, g.run = gOpen, 0 // c is '<'
		return nil
	case gOpen:
		switch c {
		case '!':
			g.state = gBang
		case '?':
			g.state, g.ends = gPI, 0
		default:
			g.state, g.quote = gTag, 0
			g.tag(c)
		}
	case gBang:
		switch c {
		case '-':
			g.state, g.ends = gComment, -1 // the second '-' of "<!--" is no end
		case '[':
			g.state = gCDATAHead
		default:
			g.state = gDecl
		}
	case gTag:
		g.tag(c)
	case gComment:
		if g.ends < 0 {
			g.ends = 0
		} else if g.closes(c, '-', 2) {
			g.state, g.run = gText, 0
		}
	case gCDATAHead:
		if c == '[' {
			g.state, g.run, g.ends = gCDATA, 0, 0
		}
	case gCDATA:
		if g.closes(c, ']', 2) {
			g.state, g.run = gText, 0
		}
		return nil // its text is cut in pass, not refused
	case gPI:
		if g.closes(c, '?', 1) {
			g.state, g.run = gText, 0
		}
	case gDecl:
		if c == '>' {
			g.state, g.run = gText, 0
		}
	}
	if g.run > g.max && g.state != gText {
		return fmt.Errorf("markup of more than %d bytes (a tag or a comment no sheet holds): the workbook is damaged or hostile; save it again from Excel", g.max)
	}
	return nil
}

// tag follows a start or end tag to its '>' outside attribute quotes.
func (g *textGuard) tag(c byte) {
	switch {
	case g.quote != 0:
		if c == g.quote {
			g.quote = 0
		}
	case c == '"' || c == '\'':
		g.quote = c
	case c == '>':
		g.state, g.run = gText, 0
	}
}

// closes tracks an end made of need bytes b then '>' ("-->", "]]>",
// "?>") and reports whether c completes it.
func (g *textGuard) closes(c, b byte, need int) bool {
	switch {
	case c == b:
		g.ends++
	case c == '>' && g.ends >= need:
		g.ends = 0
		return true
	default:
		g.ends = 0
	}
	return false
}
