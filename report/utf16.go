package report

import (
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Writer turns UTF-8 into UTF-16LE, starting with a byte-order
// mark. Writes may cut a character in two (a buffer filling up): its
// first bytes wait for the next write. Bytes that are not UTF-8 become
// U+FFFD.
type utf16Writer struct {
	w       io.Writer
	started bool
	carry   [utf8.UTFMax]byte
	ncarry  int
	buf     []byte
}

func newUTF16Writer(w io.Writer) *utf16Writer { return &utf16Writer{w: w} }

func (u *utf16Writer) Write(p []byte) (int, error) {
	b := u.buf[:0]
	if !u.started {
		b, u.started = append(b, 0xFF, 0xFE), true
	}
	n := len(p)
	if u.ncarry > 0 {
		// Complete the character the last write cut.
		need := min(utf8.UTFMax-u.ncarry, len(p))
		joined := append(u.carry[:u.ncarry:u.ncarry], p[:need]...)
		if !utf8.FullRune(joined) {
			u.ncarry = copy(u.carry[:], joined)
			return u.flush(b, n)
		}
		used := 0
		for used < u.ncarry { // the carry, and what of p completes it
			r, size := utf8.DecodeRune(joined[used:])
			b, used = appendUTF16(b, r), used+size
		}
		p, u.ncarry = p[used-u.ncarry:], 0
	}
	for len(p) > 0 {
		if c := p[0]; c < utf8.RuneSelf {
			b = append(b, c, 0)
			p = p[1:]
			continue
		}
		if !utf8.FullRune(p) {
			u.ncarry = copy(u.carry[:], p)
			break
		}
		r, size := utf8.DecodeRune(p)
		b = appendUTF16(b, r)
		p = p[size:]
	}
	return u.flush(b, n)
}

// flush writes out b, the encoding of n bytes of input.
func (u *utf16Writer) flush(b []byte, n int) (int, error) {
	u.buf = b
	if len(b) == 0 {
		return n, nil
	}
	if _, err := u.w.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}

// appendUTF16 appends r in UTF-16LE (a surrogate pair beyond the BMP).
func appendUTF16(b []byte, r rune) []byte {
	if r >= 0x10000 {
		hi, lo := utf16.EncodeRune(r)
		return append(b, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
	}
	return append(b, byte(r), byte(r>>8))
}
