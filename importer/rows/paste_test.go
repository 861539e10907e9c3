package rows

import (
	"strings"
	"testing"
	"time"
)

// TestEmailsAsPasted is the table of what word processors, mail clients
// and web pages do to an address: quotes and brackets around it are
// removed with a note; a typographic character inside it makes the cell
// invalid, named with its code point and the ASCII character probably
// meant, and the address is never sent as written nor rewritten.
func TestEmailsAsPasted(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want, note, err string }{
		{"curly double quotes", "“greg@example.com”", "greg@example.com", "removed “…” from around the email", ""},
		{"curly single quotes", "‘greg@example.com’", "greg@example.com", "removed ‘…’ from around the email", ""},
		{"guillemets", "«greg@example.com»", "greg@example.com", "removed «…» from around the email", ""},
		{"Danish guillemets", "»greg@example.com«", "greg@example.com", "removed »…« from around the email", ""},
		{"German quotes", "„greg@example.com“", "greg@example.com", "removed „…“ from around the email", ""},
		{"mixed quotes", "“greg@example.com\"", "greg@example.com", "removed “…\" from around the email", ""},
		{"ASCII quotes", `"greg@example.com"`, "greg@example.com", `removed "…" from around the email`, ""},
		{"ASCII apostrophes", "'greg@example.com'", "greg@example.com", "removed '…' from around the email", ""},
		{"full-width angle brackets", "＜greg@example.com＞", "greg@example.com", "removed ＜…＞ from around the email", ""},
		{"parentheses", "(greg@example.com)", "greg@example.com", "removed (…) from around the email", ""},
		{"full-width parentheses", "（greg@example.com）", "greg@example.com", "removed （…） from around the email", ""},
		{"square brackets", "[greg@example.com]", "greg@example.com", "removed […] from around the email", ""},
		{"Outlook's [mailto:]", "[mailto:Greg@Example.com]", "greg@example.com", "removed […] from around the email", ""},
		{"spaces inside the quotes", "“ greg@example.com ”", "greg@example.com", "removed “…” from around the email", ""},
		{"quotes around <…>", "“<greg@example.com>”", "greg@example.com", "removed “…” from around the email", ""},
		{"two layers", "(“greg@example.com”)", "greg@example.com", "removed (…) and “…” from around the email", ""},
		{"<…> is an address's own notation", "<carol@example.org>", "carol@example.org", "", ""},
		{"mailto: goes without a word", "mailto:carol@example.org", "carol@example.org", "", ""},
		{"a plain apostrophe stays", "sean.o'brien@obrien.ie", "sean.o'brien@obrien.ie", "", ""},

		{"typographic apostrophe", "sean.o’brien@obrien.ie", "", "", "has ’ (U+2019 RIGHT SINGLE QUOTATION MARK) where an apostrophe ' was probably meant"},
		{"left single quote", "sean.o‘brien@obrien.ie", "", "", "has ‘ (U+2018 LEFT SINGLE QUOTATION MARK) where an apostrophe '"},
		{"modifier letter apostrophe", "sean.oʼbrien@obrien.ie", "", "", "U+02BC MODIFIER LETTER APOSTROPHE) where an apostrophe '"},
		{"apostrophe inside curly quotes", "“sean.o’brien@obrien.ie”", "", "", "U+2019 RIGHT SINGLE QUOTATION MARK"},
		{"full-width at sign", "ann＠example.com", "", "", "has ＠ (U+FF20 FULLWIDTH COMMERCIAL AT) where an at sign @ was probably meant"},
		{"small at sign", "ann﹫example.com", "", "", "U+FE6B SMALL COMMERCIAL AT) where an at sign @"},
		{"full-width full stop", "ann@example．com", "", "", "has ． (U+FF0E FULLWIDTH FULL STOP) where a dot . was probably meant"},
		{"ideographic full stop", "ann@example。com", "", "", "U+3002 IDEOGRAPHIC FULL STOP) where a dot ."},
		{"hyphen", "jean‐luc@example.fr", "", "", "has ‐ (U+2010 HYPHEN) where a hyphen - was probably meant"},
		{"en dash in the domain", "ann@exam–ple.com", "", "", "has – (U+2013 EN DASH) where a hyphen -"},
		{"em dash", "jean—luc@example.fr", "", "", "U+2014 EM DASH"},
		{"minus sign", "jean−luc@example.fr", "", "", "U+2212 MINUS SIGN"},
		{"full-width plus", "ann＋news@example.com", "", "", "U+FF0B FULLWIDTH PLUS SIGN) where a plus sign +"},
		{"no-break space", "ann\u00a0lee@example.com", "", "", "U+00A0 (NO-BREAK SPACE) where a space was probably meant"},
		{"narrow no-break space", "ann@example.com\u202f.uk", "", "", "U+202F (NARROW NO-BREAK SPACE)"},
		{"a quote with no pair", "“greg@example.com", "", "", "has “ (U+201C LEFT DOUBLE QUOTATION MARK) where a quotation mark \""},
		{"a no-break space around it is only white space", "\u00a0ann@example.com\u00a0", "ann@example.com", "", ""},

		{"full-width letters fold", "ann@example.ｃｏｍ", "ann@example.com", "", ""},
		{"full-width capitals fold", "ＡＮＮ@example.com", "ann@example.com", "", ""},
		{"a ligature folds", "ﬁnance@example.com", "finance@example.com", "", ""},
	}
	for _, tt := range tests {
		e, err := ParseEmail(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: ParseEmail(%q) = %q, %v; want an error containing %q", tt.name, tt.in, e.Address, err, tt.err)
		case tt.err == "" && (err != nil || e.Address != tt.want || e.Note() != tt.note):
			t.Errorf("%s: ParseEmail(%q) = %q (note %q), %v; want %q (note %q)", tt.name, tt.in, e.Address, e.Note(), err, tt.want, tt.note)
		}
		if tt.err == "" {
			if again, err := NormalizeEmail(e.Address); err != nil || again != e.Address {
				t.Errorf("%s: %q normalised again is %q, %v", tt.name, e.Address, again, err)
			}
		}
	}
}

// TestEmailDomainsInOneForm: a domain written in Unicode and the same in
// punycode are one address, sent in the ASCII form, with a note.
func TestEmailDomainsInOneForm(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, note, err string }{
		{"anna@münchen.de", "anna@xn--mnchen-3ya.de", "email domain münchen.de sent in its ASCII form xn--mnchen-3ya.de", ""},
		{"ANNA@MÜNCHEN.DE", "anna@xn--mnchen-3ya.de", "email domain münchen.de sent in its ASCII form xn--mnchen-3ya.de", ""},
		{"anna@xn--mnchen-3ya.de", "anna@xn--mnchen-3ya.de", "", ""},
		{"anna@XN--MNCHEN-3YA.DE", "anna@xn--mnchen-3ya.de", "", ""},
		{"“anna@münchen.de”", "anna@xn--mnchen-3ya.de", "removed “…” from around the email; email domain münchen.de sent in its ASCII form xn--mnchen-3ya.de", ""},
		{"jürgen@example.de", "jürgen@example.de", "", ""}, // the local part is the mailbox's own: kept
		{"anna@xn--zz.de", "", "", "invalid domain"},
	}
	for _, tt := range tests {
		e, err := ParseEmail(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseEmail(%q) = %q, %v; want an error containing %q", tt.in, e.Address, err, tt.err)
		case tt.err == "" && (err != nil || e.Address != tt.want || e.Note() != tt.note):
			t.Errorf("ParseEmail(%q) = %q (note %q), %v; want %q (note %q)", tt.in, e.Address, e.Note(), err, tt.want, tt.note)
		}
	}
	if got := NormalizeKey("email", "Anna@München.de"); got != "anna@xn--mnchen-3ya.de" {
		t.Errorf("Topo's record compares as %q", got)
	}
}

// TestValidatorEmailsAsPasted follows the cases through the Validator:
// the note reaches the outcome, the IDN forms are duplicates of each
// other, and the typographic apostrophe is invalid and not taken for the
// real person (whose row is still sent).
func TestValidatorEmailsAsPasted(t *testing.T) {
	t.Parallel()
	v := NewValidator("OTHER", time.Now())
	defer v.Close()
	check := func(num int, email string) Outcome {
		return Checked(v.Check(num, Fields{Email: email, Reason: "other"}))
	}
	want := func(o Outcome, status Status, email, note, err string) {
		t.Helper()
		if o.Status != status || o.Row.Norm.Email != email || o.Note != note || !strings.Contains(o.Err, err) || (err == "") != (o.Err == "") {
			t.Errorf("row %d: %s %q note %q err %q; want %s %q note %q err containing %q",
				o.Row.Num, o.Status, o.Row.Norm.Email, o.Note, o.Err, status, email, note, err)
		}
	}
	want(check(2, "“greg@example.com”"), StatusValid, "greg@example.com", "removed “…” from around the email", "")
	want(check(3, "greg@example.com"), StatusDuplicate, "greg@example.com", "duplicate of row 2 (same email)", "")
	want(check(4, "sean.o’brien@obrien.ie"), StatusInvalid, "", "", "U+2019 RIGHT SINGLE QUOTATION MARK")
	want(check(5, "sean.o'brien@obrien.ie"), StatusValid, "sean.o'brien@obrien.ie", "", "")
	want(check(6, "anna@münchen.de"), StatusValid, "anna@xn--mnchen-3ya.de", "email domain münchen.de sent in its ASCII form xn--mnchen-3ya.de", "")
	want(check(7, "anna@xn--mnchen-3ya.de"), StatusDuplicate, "anna@xn--mnchen-3ya.de", "duplicate of row 6 (same email)", "")
	want(check(8, "«anna@MÜNCHEN.de»"), StatusDuplicate, "anna@xn--mnchen-3ya.de",
		"duplicate of row 6 (same email); removed «…» from around the email; email domain münchen.de sent in its ASCII form xn--mnchen-3ya.de", "")
	bad := Checked(v.Check(9, Fields{Email: "“ann@münchen.de”", Reason: "spam"}))
	if bad.Status != StatusInvalid || bad.Note != "" || bad.Row.Note != "" {
		t.Errorf("row 9: %s with notes %q, %q; want invalid and no note", bad.Status, bad.Note, bad.Row.Note)
	}
	if n := v.ConvertedDomains(); n != 2 {
		t.Errorf("ConvertedDomains = %d, want 2 (rows 6 and 8)", n)
	}
}
