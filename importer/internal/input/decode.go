package input

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names a text encoding the reader understands.
type Encoding string

// The encodings suppression lists arrive in. EncodingAuto detects one of the
// others from a byte-order mark or from the bytes themselves.
const (
	EncodingAuto Encoding = "auto"
	UTF8         Encoding = "utf-8"
	UTF16LE      Encoding = "utf-16le"
	UTF16BE      Encoding = "utf-16be"
	Windows1252  Encoding = "windows-1252"
)

// sniffSize is how much of the input detection looks at. Files on disk and
// pipes alike are sniffed through a buffer this size, so memory stays fixed.
const sniffSize = 64 << 10

// ParseEncoding accepts the names people type for the supported encodings.
// Latin-1 maps to Windows-1252, as browsers do: every Latin-1 file that holds
// text decodes the same way under both.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) {
	case "", "auto":
		return EncodingAuto, nil
	case "utf-8", "utf8", "utf-8-sig":
		return UTF8, nil
	case "utf-16le", "utf16le", "utf-16", "utf16", "unicode":
		return UTF16LE, nil
	case "utf-16be", "utf16be":
		return UTF16BE, nil
	case "windows-1252", "cp1252", "win1252", "latin1", "latin-1", "iso-8859-1", "ansi":
		return Windows1252, nil
	}
	return "", fmt.Errorf("unknown encoding %q (want auto, utf-8, utf-16le, utf-16be or windows-1252)", s)
}

// decoded is an input turned into UTF-8, with what was learnt on the way.
type decoded struct {
	r        *bufio.Reader
	encoding Encoding
	// fallback counts bytes of a UTF-8 input that were not UTF-8 and were
	// read as Windows-1252 instead; nil unless that reader is in use.
	fallback *int64
	// bom says the input began with a byte-order mark.
	bom bool
}

// decode wraps r so that it yields UTF-8 without a byte-order mark. With
// EncodingAuto a BOM decides; without one, UTF-16 is recognised by its NUL
// bytes and anything that is not valid UTF-8 in the first 64 KiB is taken
// for Windows-1252, which is what Excel's plain "CSV" is on Windows. A
// stream that is not text at all (a workbook, an archive, binary data) is
// a *SetupError that says what it is.
func decode(r io.Reader, enc Encoding) (decoded, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, _ := br.Peek(sniffSize) // a short read just means a short file
	if err := checkText(head, enc); err != nil {
		return decoded{}, err
	}
	if enc == EncodingAuto {
		enc = sniff(head)
	}
	bom := bytes.HasPrefix(head, utf8BOM) || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF})
	switch enc {
	case UTF16LE, UTF16BE:
		end := unicode.LittleEndian
		if enc == UTF16BE {
			end = unicode.BigEndian
		}
		// UseBOM: a BOM, if present, wins and is removed.
		dec := unicode.UTF16(end, unicode.UseBOM).NewDecoder()
		return decoded{r: bufio.NewReaderSize(transform.NewReader(br, dec), sniffSize), encoding: enc, bom: bom}, nil
	case Windows1252:
		dec := charmap.Windows1252.NewDecoder()
		return decoded{r: bufio.NewReaderSize(transform.NewReader(br, dec), sniffSize), encoding: enc}, nil
	default:
		if bytes.HasPrefix(head, utf8BOM) {
			_, _ = br.Discard(len(utf8BOM))
		}
		fb := &fallback1252{}
		return decoded{r: bufio.NewReaderSize(transform.NewReader(br, fb), sniffSize), encoding: UTF8, fallback: &fb.count, bom: bom}, nil
	}
}

// checkText refuses a head that is not text. A forced UTF-16 is text
// whatever its NUL bytes say (UTF-16 of mostly non-Latin text escapes the
// sniffer); magic numbers still count.
func checkText(head []byte, enc Encoding) error {
	k := sniffKind(head, bytes.NewReader(head))
	if k == kindBinary && (enc == UTF16LE || enc == UTF16BE) {
		return nil
	}
	return notTextError(k)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func sniff(head []byte) Encoding {
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		return UTF8
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return UTF16LE
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return UTF16BE
	}
	if enc, ok := sniffUTF16(head); ok {
		return enc
	}
	if validUTF8Head(head) {
		return UTF8
	}
	return Windows1252
}

// sniffUTF16 recognises BOM-less UTF-16 of mostly ASCII text by where its
// NUL bytes fall; text in any 8-bit encoding has none.
func sniffUTF16(head []byte) (Encoding, bool) {
	n := min(len(head), 1024) &^ 1
	if n < 4 {
		return "", false
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 >= pairs*4 && even*10 < pairs:
		return UTF16LE, true
	case even*10 >= pairs*4 && odd*10 < pairs:
		return UTF16BE, true
	}
	return "", false
}

// validUTF8Head reports whether head is UTF-8, forgiving a sequence cut off
// by the end of the sniffed window.
func validUTF8Head(head []byte) bool {
	if utf8.Valid(head) {
		return true
	}
	for cut := 1; cut < utf8.UTFMax && cut < len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) && !utf8.FullRune(head[len(head)-cut:]) {
			return true
		}
	}
	return false
}

// fallback1252 passes UTF-8 through and reads any byte that is not part of
// a valid UTF-8 sequence as Windows-1252. Real exports are sometimes mixed (a
// UTF-8 file with one row pasted from a Windows tool); this keeps such rows
// readable instead of turning them into U+FFFD.
type fallback1252 struct {
	transform.NopResetter
	count int64
}

func (f *fallback1252) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if n := asciiPrefix(src[nSrc:min(len(src), nSrc+len(dst)-nDst)]); n > 0 {
			nDst += copy(dst[nDst:], src[nSrc:nSrc+n])
			nSrc += n
			continue
		}
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			f.count++
			r = charmap.Windows1252.DecodeByte(c)
			size = 1
			if nDst+utf8.RuneLen(r) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc += size
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

// asciiPrefix is the length of b's leading ASCII run, counted in whole
// 8-byte words (the rest is left to the byte loop).
func asciiPrefix(b []byte) int {
	n := 0
	for n+8 <= len(b) && binary.LittleEndian.Uint64(b[n:])&0x8080808080808080 == 0 {
		n += 8
	}
	return n
}
