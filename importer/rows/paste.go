package rows

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/runenames"
)

// What word processors, mail clients and web pages do to an address on its
// way into a spreadsheet: quotes or brackets around it, and typographic
// characters inside it.

// peel removes what surrounds an address: white space, a mailto: prefix,
// and a pair of quotes or brackets, as often as they are nested. It
// returns the address and the pairs removed that the report should
// mention (one per layer, such as “…”); <…> and mailto: are an address's
// own notations and go without a word.
func peel(s string) (string, []string) {
	var removed []string
	for range 4 {
		s = strings.TrimSpace(s)
		if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
			s = s[7:]
			continue
		}
		if s == "" || !mayWrap(s[0]) && s[0] < utf8.RuneSelf {
			break // the common cell: nothing to peel
		}
		open, n := utf8.DecodeRuneInString(s)
		end, m := utf8.DecodeLastRuneInString(s)
		if len(s) <= n+m || !wrapPair(open, end) {
			break
		}
		inner := s[n : len(s)-m]
		if strings.ContainsRune(inner, open) || strings.ContainsRune(inner, end) {
			break // not one pair around the address: the checks say what it is
		}
		if open != '<' {
			removed = append(removed, string(open)+"…"+string(end))
		}
		s = inner
	}
	return s, removed
}

// mayWrap says an ASCII first byte could open a pair peel removes.
func mayWrap(c byte) bool {
	switch c {
	case '"', '\'', '(', '[', '<':
		return true
	}
	return false
}

// quotes are the marks people and word processors put around an address.
// Any of them closes any other: “…", „…“, «…» and »…« are all seen, and
// none of them can end an address (its last character is its domain's).
const quotes = "\"'“”„‟‘’‚‛«»‹›「」『』〝〞〟＂＇"

// brackets pairs each opening bracket with its closing one, full-width
// and CJK forms included.
var brackets = map[rune]rune{
	'(': ')', '[': ']', '<': '>', '（': '）', '［': '］', '＜': '＞',
	'〈': '〉', '⟨': '⟩', '《': '》', '【': '】', '〔': '〕',
}

func wrapPair(open, end rune) bool {
	if strings.ContainsRune(quotes, open) {
		return strings.ContainsRune(quotes, end)
	}
	c, ok := brackets[open]
	return ok && c == end
}

// lookalikes maps the typographic characters that stand for ASCII
// punctuation and that NFKC leaves alone to the character probably meant.
// (Those NFKC folds into ASCII punctuation, such as ＠ and ．, are found
// by asking NFKC.)
var lookalikes = map[rune]byte{
	'‘': '\'', '’': '\'', '‚': '\'', '‛': '\'', '′': '\'', '‵': '\'', 'ʼ': '\'', 'ʹ': '\'', '´': '\'',
	'“': '"', '”': '"', '„': '"', '‟': '"', '″': '"', '‶': '"', '«': '"', '»': '"', '‹': '"', '›': '"',
	'〝': '"', '〞': '"', '〟': '"',
	'‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '⁃': '-', '−': '-', '˗': '-',
	'。': '.', '｡': '.', // IDNA reads them as dots: in an address they are a paste
}

// checkTypography refuses an address holding a character that stands for
// ASCII punctuation or white space (’ for ', ＠ for @, an en dash for -,
// a no-break space): sent as written it would exclude another mailbox, or
// none, and rewritten it might be someone else's; the person who has the
// list must say. Width variants of letters and digits (ｃｏｍ, ＡＮＮ) pass:
// NFKC folds them afterwards, as UTS #46 does for domain names and PRECIS
// (RFC 8265) for user names, since each has exactly one ASCII reading.
func checkTypography(s string) error {
	for _, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) {
			return fmt.Errorf("has an invisible U+%04X (%s) where a space was probably meant; an address holds no spaces: remove it", r, runenames.Name(r))
		}
		ascii, ok := lookalikes[r]
		if !ok {
			ascii, ok = foldsToPunctuation(r)
		}
		if ok {
			return fmt.Errorf("has %c (U+%04X %s) where %s was probably meant: correct the cell (it is not sent as written)", r, r, runenames.Name(r), asciiWord(ascii))
		}
	}
	return nil
}

// foldsToPunctuation is the ASCII punctuation NFKC would turn r into.
func foldsToPunctuation(r rune) (byte, bool) {
	var buf [utf8.UTFMax]byte
	one := buf[:utf8.EncodeRune(buf[:], r)]
	if norm.NFKC.IsNormal(one) {
		return 0, false
	}
	for _, c := range norm.NFKC.Bytes(one) {
		if c < utf8.RuneSelf && !isAlnum(c) {
			return c, true
		}
	}
	return 0, false
}

// asciiWord names an ASCII character for a message.
func asciiWord(c byte) string {
	switch c {
	case '\'':
		return "an apostrophe '"
	case '"':
		return `a quotation mark " (an address holds none)`
	case '@':
		return "an at sign @"
	case '.':
		return "a dot ."
	case '-':
		return "a hyphen -"
	case '_':
		return "an underscore _"
	case '+':
		return "a plus sign +"
	case ' ':
		return "a space (an address holds none)"
	}
	return fmt.Sprintf("%q", c)
}
