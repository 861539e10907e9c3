package rows

// NeedsGuard reports whether a spreadsheet would run the cell s as a
// formula (OWASP's list of first characters: = + - @ tab CR), so that a
// report must write it with a leading '.
func NeedsGuard(s string) bool {
	return s != "" && isFormulaStart(s[0])
}

// Unguard removes the leading ' that reports put before such a cell, so a
// file the tool wrote reads back as the values it was written from.
func Unguard(s string) string {
	if len(s) >= 2 && s[0] == '\'' && isFormulaStart(s[1]) {
		return s[1:]
	}
	return s
}

func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}
