package ledger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// lineCases are journal lines as this package writes them, and as a hand,
// a disk or another version might leave them.
var lineCases = []string{
	`{"journal":1,"fp":{"input":"sha256:a","settings":"sha256:s"},"started":"2026-11-01T02:15:00Z"}`,
	`{"i":2,"t":1793500000000}`,
	`{"i":7,"op":"u","id":"rec-1","t":1793500000000,"pv":true,"pr":"OTHER","pu":"2027-01-01T00:00:00Z"}`,
	`{"i":7,"op":"s","id":"seq-9"}`,
	`{"o":2,"s":"created","id":"0001e240-7d2a-4c1e-9b7f-0000388c0ab0","h":201,"a":1}`,
	`{"o":3,"s":"failed","h":422,"et":"BusinessIssue","e":"not allowed","rq":"req_1","a":2,"m":true}`,
	`{"o":4,"s":"updated","id":"r","pv":true,"pr":"UNSUBSCRIBED","pu":"","lift":"relabelled"}`,
	`{"so":5,"id":"seq-1","r":"stopped"}`,
	`{"w":12}`,
	`{"o":6,"s":"exists","id":"r","n":"found after a lost answer","he":"a@b.co","hl":"https://www.linkedin.com/in/a","hr":"UNSUBSCRIBED","hu":"2030-01-01T00:00:00Z","hm":"asked"}`,
	`{"o":8,"s":"removed","id":"r","hd":"b.co","hr":"COMPETITOR"}`,
	`{"i":9,"op":"d","id":"r","pv":true,"pr":"OTHER","pu":"","pm":"old message"}`,
	`{"unsure":true}`,
	`{"done":"2026-11-01T03:00:00Z","report":"list.report.csv","failures":"list.failures.csv","need":3}`,
	`{}`,
	`{"o":2,"s":"created","o":9}`,                     // a repeated key: the last wins
	`{"o":2, "s":"created"}`,                          // a space
	`{"o":2,"e":"say \"no\"\u00e9"}`,                  // escapes
	`{"o":2,"e":"café"}`,                              // not ASCII
	`{"O":2,"S":"created"}`,                           // keys in another case
	`{"o":2,"id":null}`,                               // null
	`{"o":2,"extra":{"a":[1,2]}}`,                     // a key of another version
	`{"o":-3,"h":0}`,                                  // negative, zero
	`{"o":02}`, `{"o":2.5}`, `{"o":2e3}`, `{"o":"2"}`, // not integers
	`{"o":2,"m":tru}`, `{"o":2,"m":"true"}`, `{"m":false}`, // booleans
	`{"o":2`, `{"o":2}}`, `{"o":2,}`, `{"o":}`, `{"o"2}`, `{`, ``, `[]`, `null`, `{"o":2}x`,
	`{"o":123456789012345678901234567890}`,
	"{\"o\":3,\"s\":\"crea\x00\x00",
}

// TestParseLineAgreesWithEncodingJSON: the fast reader of journal lines
// decides every line as encoding/json does: the same fields, and an
// error where it has one.
func TestParseLineAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range lineCases {
		checkLine(t, []byte(c))
	}
}

func checkLine(t *testing.T, b []byte) {
	t.Helper()
	var want, got journalLine
	wantErr := json.Unmarshal(b, &want)
	gotErr := parseLine(b, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: error %v, encoding/json says %v", b, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, c := range lineCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkLine(t, b) })
}

// TestJournalResumesFromOffsets: outcomes recorded out of order, twice
// for one row, and one longer than the block lines are read back by,
// are each read back as the last one recorded.
func TestJournalResumesFromOffsets(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	const n = 20_000
	long := strings.Repeat("x", 200<<10)
	for k := range n {
		row := n + 1 - k // last rows first
		_ = intend(j, row)
		o := rows.Outcome{Row: rows.Row{Num: row}, Status: rows.StatusCreated, ID: "id-" + string(rune('a'+row%26)), HTTPStatus: 201, Attempts: 1}
		if row == 500 {
			o.Status, o.Err = rows.StatusFailed, long
		}
		if err := j.Record(o); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Record(rows.Outcome{Row: rows.Row{Num: 7}, Status: rows.StatusExists, ID: "again"})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, st := openJournal(t, path, fpA, false)
	defer j.Close()
	if settled, unsure := j.Resumed(); st != JournalResumed || settled != n || unsure != 0 {
		t.Fatalf("state %v, %d settled, %d unsure", st, settled, unsure)
	}
	for row := 2; row <= n+1; row++ {
		o, ok := j.Settled(row)
		switch {
		case !ok || j.Prior(row).MaybeSent:
			t.Fatalf("row %d not settled", row)
		case row == 7 && (o.Status != rows.StatusExists || o.ID != "again"):
			t.Fatalf("row 7: %+v, want the last outcome recorded", o)
		case row == 500 && (o.Status != rows.StatusFailed || o.Err != long):
			t.Fatalf("row 500: %s, %d bytes of error", o.Status, len(o.Err))
		case row != 7 && row != 500 && (o.ID != "id-"+string(rune('a'+row%26)) || o.HTTPStatus != 201):
			t.Fatalf("row %d: %+v", row, o)
		}
	}
	if _, ok := j.Settled(n + 2); ok || j.Prior(n+2).MaybeSent {
		t.Error("a row no run saw is settled or maybe sent")
	}
}

// TestAnOutcomeThatCannotBeReadBackMaySettleNothing: an outcome line
// overwritten after the journal was opened settles nothing, and its row
// is looked up before anything is sent.
func TestAnOutcomeThatCannotBeReadBackMaySettleNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	_ = intend(j, 2)
	_ = j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusCreated, ID: "a"})
	j.Close()
	j, _ = openJournal(t, path, fpA, false)
	defer j.Close()
	data, _ := os.ReadFile(path)
	i := strings.Index(string(data), `{"o":2`)
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("#"), int64(i+6)) // the comma after the row
	f.Close()
	if _, ok := j.Settled(2); ok || !j.Prior(2).MaybeSent {
		t.Error("an outcome that could not be read back settled its row")
	}
}

// TestAnotherInputsUnfinishedJournalIsSaid: a journal of another input
// moved aside says whether its run wrote and never completed.
func TestAnotherInputsUnfinishedJournalIsSaid(t *testing.T) {
	t.Parallel()
	fpB := Fingerprint{Input: "sha256:b", Settings: fpA.Settings}
	for _, completed := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "list.journal")
		j, _ := openJournal(t, path, fpA, false)
		_ = intend(j, 2)
		if completed {
			_ = j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusCreated})
			_ = j.Complete(Completion{})
		}
		j.Close()
		j, st := openJournal(t, path, fpB, false)
		if st != JournalOther || j.OtherUnfinished() == completed {
			t.Errorf("completed %v: state %v, unfinished %v", completed, st, j.OtherUnfinished())
		}
		j.Close()
	}
}

// TestEveryRowStaysUnsureOnResume: a run that had to look every row up
// (its memory was lost) and was stopped again goes on looking up the rows
// it did not reach when resumed; a journal of another input does not.
func TestEveryRowStaysUnsureOnResume(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	j.MarkAllUnsure()
	_ = intend(j, 2)
	_ = j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusExists, ID: "a"})
	j.Close()
	j, st := openJournal(t, path, fpA, false)
	if st != JournalResumed || !j.Prior(3).MaybeSent || j.Prior(2).MaybeSent {
		t.Errorf("resumed (%v): row 3 maybe sent %v, row 2 %v; want true, false", st, j.Prior(3).MaybeSent, j.Prior(2).MaybeSent)
	}
	j.Close()
	j, st = openJournal(t, path, Fingerprint{Input: "sha256:b", Settings: fpA.Settings}, false)
	defer j.Close()
	if st != JournalOther || j.Prior(3).MaybeSent {
		t.Errorf("another input (%v): row 3 maybe sent", st)
	}
}

// TestJournalKeepsWhatTopoHeldAndTheNote: a resumed row's report still
// shows Topo's record and what its answers showed.
func TestJournalKeepsWhatTopoHeldAndTheNote(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "list.journal")
	j, _ := openJournal(t, path, fpA, false)
	held := &rows.Held{Email: "a@b.co", Reason: "UNSUBSCRIBED", Until: "2030-01-01T00:00:00Z", Message: "asked"}
	if err := j.Record(rows.Outcome{Row: rows.Row{Num: 2}, Status: rows.StatusExists, ID: "r", Note: "a lookup found it", Held: held}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, _ = openJournal(t, path, fpA, false)
	defer j.Close()
	o, ok := j.Settled(2)
	if !ok || o.Note != "a lookup found it" || o.Held == nil || *o.Held != *held {
		t.Errorf("resumed: %+v (held %+v)", o, o.Held)
	}
}
