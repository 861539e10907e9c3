package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

func TestAppendCellGuardsFormulas(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", ""},
		{"=1+2", `"'=1+2"`},
		{"+33 1 23", `"'+33 1 23"`},
		{"-x", `"'-x"`},
		{"@SUM(A1)", `"'@SUM(A1)"`},
		{"\tx", "\"'\tx\""},
		{"\rx", "\"'\rx\""},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"two\nlines", "\"two\nlines\""},
		{"in-between = fine", "in-between = fine"},
	}
	for _, tt := range tests {
		if got := string(appendCell(nil, tt.in)); got != tt.want {
			t.Errorf("appendCell(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestWriterColumns(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, topo.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	o := rows.Outcome{
		Row: rows.Row{
			Num: 7,
			Raw: rows.Fields{Email: " A@B.co ", Reason: "unsubscribed", Until: "31/12/2027"},
			// Until did not normalise: the report shows what was written.
			Norm: rows.Fields{Email: "a@b.co", Reason: "UNSUBSCRIBED"},
		},
		Status: rows.StatusFailed, ID: "id-1", HTTPStatus: 400, ErrorType: "ValidationIssue",
		Err: "bad until", RequestID: "req_1", Attempts: 2, MaybeSent: true,
	}
	if err := w.Write(o); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	ext := rows.Outcome{Row: rows.Row{Num: 8, Norm: rows.Fields{Email: "c@d.co", Reason: "OTHER", Until: "2027-12-31T23:59:59Z"}},
		Status: rows.StatusExtended, ID: "id-2", HTTPStatus: 200, Attempts: 2, Previous: &rows.Previous{Reason: "BAD_TIMING", Until: "2026-12-01T23:59:59Z"}}
	if err := w.Write(ext); err != nil {
		t.Fatal(err)
	}
	perm := ext
	perm.Row.Num, perm.Previous = 9, &rows.Previous{Reason: "UNSUBSCRIBED"} // the record was permanent
	perm.Outreach = rows.Outreach{State: rows.OutreachStopped, Sequences: []string{"seq_1", "seq_2"}}
	// Topo's record as the run left it: permanent, with a message that
	// needs quoting.
	perm.Held = &rows.Held{Reason: "UNSUBSCRIBED", Message: "asked, by phone"}
	if err := w.Write(perm); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "row,status,id,email,linkedin_url,reason,message,until,http_status,error_type,error,request_id,attempts,note,previous_reason,previous_until,maybe_sent,outreach,outreach_sequences,held_reason,held_until,held_message\n" +
		"7,failed,id-1,a@b.co,,UNSUBSCRIBED,,31/12/2027,400,ValidationIssue,bad until,req_1,2,,,,true,,,,,\n" +
		"8,extended,id-2,c@d.co,,OTHER,,2027-12-31T23:59:59Z,200,,,,2,,BAD_TIMING,2026-12-01T23:59:59Z,,,,,,\n" +
		"9,extended,id-2,c@d.co,,OTHER,,2027-12-31T23:59:59Z,200,,,,2,,UNSUBSCRIBED,permanent,,stopped,seq_1 seq_2,UNSUBSCRIBED,permanent,\"asked, by phone\"\n"
	if buf.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestSummary(t *testing.T) {
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := NewSummary("validate", "list.csv", start)
	for _, st := range []rows.Status{rows.StatusValid, rows.StatusValid, rows.StatusInvalid, rows.StatusDuplicate} {
		s.Add(rows.Outcome{Status: st})
	}
	s.Encoding, s.Delimiter, s.Report, s.Failures = "utf-8", ";", "r.csv", "f.csv"
	s.Finish(start.Add(2*time.Second), 1, "completed")
	var text, js bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"4 rows", "2 valid, 1 invalid, 1 duplicate", "1 row needs action", "r.csv", "f.csv"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{`"rows": 4`, `"valid": 2`, `"not_attempted": 0`, `"rows_per_second": 2`, `"exit_code": 1`,
		`"status": "completed"`, `"started_at": "2026-11-27T10:00:00Z"`, `"finished_at": "2026-11-27T10:00:02Z"`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON summary lacks %s:\n%s", want, js.String())
		}
	}
	if got := group(1234567); got != "1,234,567" {
		t.Errorf("group = %s", got)
	}
}
