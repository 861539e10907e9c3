package input

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/topo-io/topo-exclusions/internal/samples"
)

type scanned struct {
	row    int
	fields []string
	err    string
}

func scanAll(t testing.TB, input string, delim byte, max int) []scanned {
	t.Helper()
	s := newScanner(bufio.NewReaderSize(strings.NewReader(input), 16), delim, 1)
	if max > 0 {
		s.max = max
	}
	var out []scanned
	for {
		rec, ok, err := s.next()
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		if !ok {
			return out
		}
		got := scanned{row: rec.row, fields: slices.Clone(rec.fields)}
		if rec.err != nil {
			got.err = rec.err.Error()
		}
		out = append(out, got)
	}
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []scanned
	}{
		{"plain LF", "a,b\nc,d\n", []scanned{{1, []string{"a", "b"}, ""}, {2, []string{"c", "d"}, ""}}},
		{"CRLF and no final newline", "a,b\r\nc,d", []scanned{{1, []string{"a", "b"}, ""}, {2, []string{"c", "d"}, ""}}},
		{"empty fields", ",\n,,x\n", []scanned{{1, []string{"", ""}, ""}, {2, []string{"", "", "x"}, ""}}},
		{"quoted delimiter and quotes", "\"a,b\",\"say \"\"hi\"\"\"\n", []scanned{{1, []string{"a,b", `say "hi"`}, ""}}},
		{"empty quoted", "\"\",x\n", []scanned{{1, []string{"", "x"}, ""}}},
		{
			"newline inside quotes does not count as a row",
			"h\n\"two\r\nlines\"\nnext\n",
			[]scanned{{1, []string{"h"}, ""}, {2, []string{"two\nlines"}, ""}, {3, []string{"next"}, ""}},
		},
		{
			"blank lines count as spreadsheet rows but yield nothing",
			"h\n\n\r\nx\n",
			[]scanned{{1, []string{"h"}, ""}, {4, []string{"x"}, ""}},
		},
		{
			"bare quote is reported, row kept",
			"a,b\"c\nd,e\n",
			[]scanned{{1, []string{"a", "b\"c"}, "stray \" in column 2"}, {2, []string{"d", "e"}, ""}},
		},
		{
			"text after closing quote",
			"\"a\"b,c\n",
			[]scanned{{1, []string{"ab", "c"}, "text after a closing \" in column 1"}},
		},
		{
			"unterminated quote costs one row",
			"\"a,b\nc,d\ne,f\n",
			[]scanned{
				{1, []string{"a,b"}, "a quoted field is never closed (stray \"?)"},
				{2, []string{"c", "d"}, ""},
				{3, []string{"e", "f"}, ""},
			},
		},
		{
			"quote opened mid-file and closed later with bad tail",
			"ok,1\n\"bad,2\nx,3\ny\"z,4\nlast,5\n",
			[]scanned{
				{1, []string{"ok", "1"}, ""},
				{2, []string{"bad,2"}, "text after a closing \" in column 1"},
				{3, []string{"x", "3"}, ""},
				{4, []string{"y\"z", "4"}, "stray \" in column 1"},
				{5, []string{"last", "5"}, ""},
			},
		},
		// Excel reads a CR alone as a line break, so a spreadsheet numbers
		// its rows so: a lone CR in an LF file ends a row.
		{"lone CR in an LF file ends a row", "a\rb,c\nd\n", []scanned{{1, []string{"a"}, ""}, {2, []string{"b", "c"}, ""}, {3, []string{"d"}, ""}}},
		{
			"CR-only lines then CRLF lines keep their numbers",
			"h\ra\r\rb\r\nc\r\n\r\nd\n",
			[]scanned{{1, []string{"h"}, ""}, {2, []string{"a"}, ""}, {4, []string{"b"}, ""}, {5, []string{"c"}, ""}, {7, []string{"d"}, ""}},
		},
		{"CR inside quotes is a line break in the cell", "\"two\rlines\",x\ry\n", []scanned{{1, []string{"two\nlines", "x"}, ""}, {2, []string{"y"}, ""}}},
		{"CR at the end of input", "a,b\r", []scanned{{1, []string{"a", "b"}, ""}}},
		{"CR then CRLF is a blank row between", "a\r\r\nb\n", []scanned{{1, []string{"a"}, ""}, {3, []string{"b"}, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scanAll(t, tt.input, ',', 0)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d records %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.row != w.row || !slices.Equal(g.fields, w.fields) || g.err != w.err {
					t.Errorf("record %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestScannerBoundsRecords(t *testing.T) {
	long := strings.Repeat("x", 100)
	t.Run("one long line", func(t *testing.T) {
		got := scanAll(t, "a\n"+long+"\nb\n", ',', 50)
		want := []scanned{{1, []string{"a"}, ""}, {2, nil, errRecordTooLong.Error()}, {3, []string{"b"}, ""}}
		if len(got) != 3 || got[1].row != 2 || got[1].err != want[1].err || got[2].fields[0] != "b" || got[2].row != 3 {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
	t.Run("a quoted cell past the bound that closes: its lines never become rows", func(t *testing.T) {
		input := "h\n\"" + strings.Repeat("p", 100) + "\nvictim@example.com,unsubscribed\n\",x\nnext,1\n"
		got := scanAll(t, input, ',', 50)
		if len(got) != 3 || got[1].row != 2 || got[1].err != errRecordTooLong.Error() || got[2].row != 3 || got[2].fields[0] != "next" {
			t.Fatalf("got %+v, want h, the long row 2, next on row 3", got)
		}
		if len(got[1].fields[0]) > glimpseBytes+len("…") {
			t.Errorf("the report would carry %d bytes of the long cell", len(got[1].fields[0]))
		}
	})
	t.Run("a quoted cell past the bound never closed: the rest is that cell", func(t *testing.T) {
		input := "\"open\n" + strings.Repeat("y,1\n", 40) + "z\n"
		got := scanAll(t, input, ',', 50)
		if len(got) != 1 || got[0].row != 1 || !strings.Contains(got[0].err, "never closed: the rest of the file (168 bytes) is that one cell") {
			t.Fatalf("got %+v, want the one never-closed row", got)
		}
	})
	t.Run("an escaped quote past the bound does not close the cell", func(t *testing.T) {
		input := "\"" + strings.Repeat("q", 60) + "\"\"\nstill,inside\n\",end\nnext\n"
		got := scanAll(t, input, ',', 50)
		if len(got) != 2 || got[1].fields[0] != "next" {
			t.Fatalf("got %+v, want the long row and next", got)
		}
	})
}

// TestScannerBigCellInBoundedMemory is the 10 MB quoted field: one
// row, not millions, read without holding the cell: what reading costs
// does not grow with the cell (10 MiB and 40 MiB cost the same).
func TestScannerBigCellInBoundedMemory(t *testing.T) {
	small, large := bigCellAlloc(t, 10), bigCellAlloc(t, 40)
	if large > small+2<<20 {
		t.Errorf("a 40 MiB cell cost %d MiB, a 10 MiB one %d MiB: memory grows with the cell", large>>20, small>>20)
	}
}

// bigCellAlloc scans a list whose second row has a quoted cell of mib MiB
// of text that looks like rows, and returns the bytes allocated.
func bigCellAlloc(t *testing.T, mib int) uint64 {
	pad := strings.Repeat("padding,padding\n", 64<<10/16) // 64 KiB
	parts := []io.Reader{strings.NewReader("email,message\na@example.com,\"")}
	for range mib * 16 {
		parts = append(parts, strings.NewReader(pad))
	}
	parts = append(parts, strings.NewReader("victim@example.com,x\"\nb@example.com,after\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newScanner(bufio.NewReaderSize(io.MultiReader(parts...), 64<<10), ',', 1)
	var recs []record
	for {
		rec, ok, err := s.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		rec.fields = slices.Clone(rec.fields)
		recs = append(recs, rec)
	}
	runtime.ReadMemStats(&after)
	if len(recs) != 3 || recs[1].err == nil || recs[1].fields[0] != "a@example.com" || recs[2].fields[0] != "b@example.com" || recs[2].row != 3 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	return after.TotalAlloc - before.TotalAlloc
}

func TestScannerSemicolonAndTab(t *testing.T) {
	for _, d := range []byte{';', '\t'} {
		in := "a" + string(d) + "\"b" + string(d) + "c\"" + string(d) + "d,e\n"
		got := scanAll(t, in, d, 0)
		want := []string{"a", "b" + string(d) + "c", "d,e"}
		if len(got) != 1 || !slices.Equal(got[0].fields, want) {
			t.Errorf("delimiter %q: got %+v, want %q", d, got, want)
		}
	}
}

// FuzzScanner checks the scanner against encoding/csv: wherever the
// standard library reads an input without complaint, the scanner must read
// the same records, and it must never panic or number rows backwards.
func FuzzScanner(f *testing.F) {
	for _, s := range samples.Contents(f) {
		f.Add(s)
	}
	f.Add("a,\"b\r\nc\"\n\n\"\"\"\",d\r\n")
	f.Add("a,\"" + strings.Repeat("long ", 20) + "\nb,c\n\"\nd,e\n")
	f.Fuzz(func(t *testing.T, input string) {
		checkAgainstCSV(t, input, 0)
		// The same with a small bound: cells past it are skipped, and the
		// records around them must still line up with encoding/csv's.
		checkAgainstCSV(t, input, 40)
	})
}

// checkAgainstCSV compares the scanner, bounded at max bytes a record (0:
// the default), with encoding/csv on input.
func checkAgainstCSV(t *testing.T, input string, max int) {
	t.Helper()
	{
		got := scanAll(t, input, ',', max)
		prev := 0
		for _, g := range got {
			if g.row <= prev {
				t.Fatalf("row %d after row %d", g.row, prev)
			}
			prev = g.row
		}
		// encoding/csv keeps a CR alone as text; Excel, and the scanner,
		// read it as a line break: compare with it on the input as Excel
		// reads it.
		cr := csv.NewReader(strings.NewReader(bareCRToLF(input)))
		cr.FieldsPerRecord = -1
		var want [][]string
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // malformed for encoding/csv: only the checks above apply
			}
			want = append(want, rec)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d records, encoding/csv %d\n%+v\n%q", len(got), len(want), got, want)
		}
		for i := range want {
			if max > 0 && got[i].err == errRecordTooLong.Error() {
				continue // too long to keep: its boundaries are what matters
			}
			if got[i].err != "" || !slices.Equal(got[i].fields, want[i]) {
				t.Fatalf("bound %d, record %d: got %+v, encoding/csv %q", max, i, got[i], want[i])
			}
		}
	}
}

// bareCRToLF turns every CR not followed by LF into LF.
func bareCRToLF(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			b[i] = '\n'
		}
	}
	return string(b)
}
