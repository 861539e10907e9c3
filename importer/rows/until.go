package rows

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DateOrder says how to read a date whose first two numbers could each be
// the day or the month (03/04/2027): --date-order.
type DateOrder uint8

// The orders a list's dates can be read in.
const (
	// DateOrderUnset reads a date only when one order makes sense of it;
	// an ambiguous one is invalid.
	DateOrderUnset DateOrder = iota
	// DayFirst reads 03/04/2027 as 3 April 2027 (dmy).
	DayFirst
	// MonthFirst reads 03/04/2027 as 4 March 2027 (mdy).
	MonthFirst
)

// ParseDateOrder reads --date-order: dmy, mdy, or "" for none.
func ParseDateOrder(s string) (DateOrder, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return DateOrderUnset, nil
	case "dmy":
		return DayFirst, nil
	case "mdy":
		return MonthFirst, nil
	}
	return 0, fmt.Errorf("unknown date order %q (want dmy or mdy)", s)
}

// String is the order as --date-order writes it ("" when unset).
func (o DateOrder) String() string {
	switch o {
	case DayFirst:
		return "dmy"
	case MonthFirst:
		return "mdy"
	}
	return ""
}

// NormalizeUntil reads an expiry with no date order given: see
// NormalizeUntilOrder.
func NormalizeUntil(s string, now time.Time) (string, error) {
	return NormalizeUntilOrder(s, now, DateOrderUnset)
}

// NormalizeUntilOrder reads an expiry. RFC 3339 with an offset is an
// instant and kept as one (with its offset); a date alone means the end of
// that day in UTC, as Topo's dashboard takes it. A date is YYYY-MM-DD, or
// day, month and a four-digit year separated by /, . or - as spreadsheets
// write them (31/12/2027, 31.12.2027, 1-2-2027); the day may come second
// (12/31/2027). When only one order gives a calendar date, that one is
// read; when both do and differ, order decides, and without one the date
// is an error that names --date-order. Past instants are errors: such an
// exclusion would exclude nobody. Empty means permanent and gives "", as
// does "permanent", which the report writes in previous_until and
// held_until: a record can be made again from its report.
func NormalizeUntilOrder(s string, now time.Time, order DateOrder) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) == len("permanent") && strings.EqualFold(s, "permanent") {
		return "", nil
	}
	switch y, m, d, err := readDate(s, order); {
	case err != nil:
		return "", err
	case y != 0:
		if !time.Date(y, time.Month(m), d, 23, 59, 59, 0, time.UTC).After(now) {
			return "", errPast
		}
		if len(s) == len("2006-01-02") && s[4] == '-' && s[7] == '-' { // YYYY-MM-DD already
			return s + "T23:59:59Z", nil
		}
		return string(appendDay(make([]byte, 0, len("2006-01-02T23:59:59Z")), y, m, d)), nil
	}
	t, err := time.Parse(time.RFC3339, strings.ToUpper(s))
	if err != nil {
		if _, e := time.Parse("2006-01-02T15:04:05", strings.ToUpper(s)); e == nil {
			return "", errors.New("has no time zone: add Z for UTC or an offset such as +01:00")
		}
		return "", errors.New("is not a date: write YYYY-MM-DD or DD/MM/YYYY (the end of that day, UTC), or RFC 3339 with an offset, such as 2027-12-31T18:00:00+01:00")
	}
	if !t.After(now) {
		return "", errPast
	}
	return t.Format(time.RFC3339Nano), nil
}

var errPast = errors.New("is in the past: such an exclusion would exclude nobody")

// readDate reads a date alone: YYYY-MM-DD, or two numbers of one or two
// digits and a four-digit year, with one separator. y is 0 when s has
// neither shape (an instant, or not a date at all).
func readDate(s string, order DateOrder) (y, m, d int, err error) {
	if len(s) == len("2006-01-02") && s[4] == '-' && s[7] == '-' {
		y, m, d = digits(s[:4]), digits(s[5:7]), digits(s[8:])
		if y <= 0 || !calendarDate(y, m, d) {
			return 0, 0, 0, errors.New("is not a date: no such day")
		}
		return y, m, d, nil
	}
	a, b, year, ok := numericDate(s)
	if !ok {
		return 0, 0, 0, nil
	}
	dmy, mdy := calendarDate(year, b, a), calendarDate(year, a, b)
	switch {
	case dmy && mdy && a != b && order == DateOrderUnset:
		return 0, 0, 0, fmt.Errorf("is ambiguous: %d %s or %d %s %d? Say which with --date-order dmy|mdy", a, time.Month(b), b, time.Month(a), year)
	case dmy && (!mdy || order != MonthFirst):
		return year, b, a, nil
	case mdy:
		return year, a, b, nil
	}
	return 0, 0, 0, errors.New("is not a date: neither day/month/year nor month/day/year gives a day of the calendar")
}

// numericDate splits D/M/YYYY (or with . or -): two numbers of one or two
// digits, and a year of four, with the same separator twice.
func numericDate(s string) (a, b, year int, ok bool) {
	if len(s) < len("1/1/2027") || len(s) > len("01/01/2027") {
		return 0, 0, 0, false
	}
	sep := s[len(s)-5]
	if sep != '/' && sep != '.' && sep != '-' {
		return 0, 0, 0, false
	}
	first, second, found := strings.Cut(s[:len(s)-5], string(sep))
	if !found || len(first) == 0 || len(first) > 2 || len(second) == 0 || len(second) > 2 {
		return 0, 0, 0, false
	}
	a, b, year = digits(first), digits(second), digits(s[len(s)-4:])
	return a, b, year, a >= 0 && b >= 0 && year > 0
}

// digits is the value of a run of ASCII digits, or -1.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// calendarDate says whether day d of month m of year y exists.
func calendarDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// appendDay appends the end of that day in UTC, in RFC 3339.
func appendDay(b []byte, y, m, d int) []byte {
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return append(b, "T23:59:59Z"...)
}
