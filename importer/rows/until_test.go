package rows

import (
	"strings"
	"testing"
	"time"
)

// TestDatesAsToolsWriteThem: day-first and month-first dates are read when
// only one order makes a date of them; an ambiguous one needs an order,
// and without it names --date-order.
func TestDatesAsToolsWriteThem(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	const eoy = "2027-12-31T23:59:59Z"
	tests := []struct {
		in    string
		order DateOrder
		want  string
		err   string
	}{
		{"31/12/2027", DateOrderUnset, eoy, ""},
		{"31.12.2027", DateOrderUnset, eoy, ""},
		{"31-12-2027", DateOrderUnset, eoy, ""},
		{" 31/12/2027 ", DateOrderUnset, eoy, ""},
		{"12/31/2027", DateOrderUnset, eoy, ""},
		{"12.31.2027", DateOrderUnset, eoy, ""},
		{"31/12/2027", MonthFirst, eoy, ""}, // only one reading: the order is for ambiguous dates
		{"12/31/2027", DayFirst, eoy, ""},
		{"1/2/2027", DayFirst, "2027-02-01T23:59:59Z", ""},
		{"1-12-2027", DayFirst, "2027-12-01T23:59:59Z", ""},
		{"13-1-2027", DayFirst, "2027-01-13T23:59:59Z", ""},
		{"1/2/2027", MonthFirst, "2027-01-02T23:59:59Z", ""},
		{"03/04/2027", DayFirst, "2027-04-03T23:59:59Z", ""},
		{"03/04/2027", MonthFirst, "2027-03-04T23:59:59Z", ""},
		{"3.4.2027", DayFirst, "2027-04-03T23:59:59Z", ""},
		{"05/05/2027", DateOrderUnset, "2027-05-05T23:59:59Z", ""}, // both readings are one day
		{"13/1/2027", DateOrderUnset, "2027-01-13T23:59:59Z", ""},
		{"29/02/2028", DateOrderUnset, "2028-02-29T23:59:59Z", ""},
		{"01/06/2026", DayFirst, "2026-06-01T23:59:59Z", ""}, // later today still counts

		{"03/04/2027", DateOrderUnset, "", "is ambiguous: 3 April or 4 March 2027? Say which with --date-order dmy|mdy"},
		{"1.2.2027", DateOrderUnset, "", "--date-order dmy|mdy"},
		{"29/02/2027", DateOrderUnset, "", "not a date"},
		{"29/02/2100", DateOrderUnset, "", "not a date"},
		{"29/02/2000", DateOrderUnset, "2000-02-29T23:59:59Z", "in the past"},
		{"31/04/2027", DateOrderUnset, "", "not a date"},
		{"31/31/2027", DateOrderUnset, "", "not a date"},
		{"00/12/2027", DateOrderUnset, "", "not a date"},
		{"31/12/27", DayFirst, "", "not a date"},
		{"31/12-2027", DayFirst, "", "not a date"},
		{"123/1/2027", DayFirst, "", "not a date"},
		{"3l/12/2027", DayFirst, "", "not a date"},
		{"31/05/2026", DayFirst, "", "in the past"},
		{"05/31/2026", DateOrderUnset, "", "in the past"},
		{"01/02/2026", MonthFirst, "", "in the past"},

		// The report's own word for no until, so a record can be made
		// again from held_until or previous_until.
		{"permanent", DateOrderUnset, "", ""},
		{" Permanent ", DayFirst, "", ""},
		{"permanently", DateOrderUnset, "", "not a date"},

		// ISO dates and RFC 3339 read as before, whatever the order.
		{"2027-12-31", MonthFirst, eoy, ""},
		{"2027-12-31T18:00:00+01:00", DayFirst, "2027-12-31T18:00:00+01:00", ""},
		{"2027-02-30", DateOrderUnset, "", "not a date"},
		{"2026-05-31", DayFirst, "", "in the past"},
	}
	for _, tt := range tests {
		got, err := NormalizeUntilOrder(tt.in, now, tt.order)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("NormalizeUntilOrder(%q, %q) = %q, %v; want an error containing %q", tt.in, tt.order, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("NormalizeUntilOrder(%q, %q) = %q, %v; want %q", tt.in, tt.order, got, err, tt.want)
		}
	}
}

func TestParseDateOrder(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]DateOrder{"": DateOrderUnset, "dmy": DayFirst, " MDY ": MonthFirst} {
		if got, err := ParseDateOrder(in); err != nil || got != want {
			t.Errorf("ParseDateOrder(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got, _ := ParseDateOrder(want.String()); got != want {
			t.Errorf("%v does not read back", want)
		}
	}
	if _, err := ParseDateOrder("ymd"); err == nil || !strings.Contains(err.Error(), "dmy or mdy") {
		t.Errorf("ParseDateOrder(ymd) error %v", err)
	}
}

// TestValidatorDateOrder: the Validator reads until with its DateOrder.
func TestValidatorDateOrder(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	row := Fields{Email: "ann@example.com", Reason: "other", Until: "03/04/2027"}
	v := NewValidator("OTHER", now)
	defer v.Close()
	if r := v.Normalize(2, row); r.Status != StatusInvalid || !strings.Contains(r.Err, `until "03/04/2027" is ambiguous`) {
		t.Errorf("no order: %s %q", r.Status, r.Err)
	}
	v.DateOrder = DayFirst
	if r := v.Normalize(2, row); r.Status != StatusValid || r.Norm.Until != "2027-04-03T23:59:59Z" {
		t.Errorf("dmy: %s %q %q", r.Status, r.Norm.Until, r.Err)
	}
}
