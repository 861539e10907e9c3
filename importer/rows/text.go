package rows

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanKey prepares an email, LinkedIn URL or domain cell for matching:
// Unicode format characters (category Cf: zero-width space and joiners,
// soft hyphen, byte-order mark, bidi marks), which copy-paste from web
// pages and spreadsheets leaves invisibly inside addresses, are removed.
// A character that cannot be part of any key is an error that names it,
// says where it is, and what probably caused it: U+FFFD (text that was
// decoded with the wrong encoding), a control character, or bytes that
// are not UTF-8 at all (a lone surrogate, say).
func cleanKey(s string) (string, error) {
	s, _, err := cleanKeyASCII(s)
	return s, err
}

// cleanKeyASCII is cleanKey, also saying whether the result is ASCII.
func cleanKeyASCII(s string) (string, bool, error) {
	clean, ascii := true, true
	for i, r := range s {
		if r < utf8.RuneSelf && r >= ' ' {
			continue
		}
		ascii = ascii && r < utf8.RuneSelf
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			clean = clean && (r == '\t' || r == '\n' || r == '\r')
			if err := badRune(s, i, r); err != nil {
				return "", false, err
			}
		}
	}
	if clean {
		return s, ascii, nil
	}
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s))
	return s, false, nil
}

// badRune is the error for the rune r at byte offset i of s, or nil when
// r is only a format character (which cleanKey removes).
func badRune(s string, i int, r rune) error {
	pos := utf8.RuneCountInString(s[:i]) + 1
	switch {
	case r == utf8.RuneError:
		if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
			return fmt.Errorf("has bytes that are not text (0x%X) at character %d: the file is not in the encoding it was read as; try --encoding", s[i], pos)
		}
		return fmt.Errorf("has the replacement character U+FFFD at character %d: the text was misread from another encoding before it reached this file; export it again as UTF-8, or try --encoding", pos)
	case r == '\t' || r == '\n' || r == '\r':
		return nil // white space: the key's own checks say what is wrong
	case unicode.IsControl(r):
		return fmt.Errorf("has the control character U+%04X at character %d: remove it", r, pos)
	}
	return nil
}
