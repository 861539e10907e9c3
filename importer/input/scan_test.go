package input

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
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
		{"lone CR inside a field is kept", "a\rb,c\n", []scanned{{1, []string{"a\rb", "c"}, ""}}},
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
	t.Run("a quoted field that runs past the bound", func(t *testing.T) {
		input := "\"open\n" + strings.Repeat("y\n", 40) + "z\n"
		got := scanAll(t, input, ',', 50)
		if got[0].err != errRecordTooLong.Error() || got[0].row != 1 {
			t.Fatalf("first record %+v, want too long on row 1", got[0])
		}
		if last := got[len(got)-1]; last.fields[0] != "z" || last.row != 42 {
			t.Fatalf("last record %+v, want z on row 42", last)
		}
	})
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
	for _, s := range seedFiles(f) {
		f.Add(s)
	}
	f.Add("a,\"b\r\nc\"\n\n\"\"\"\",d\r\n")
	f.Fuzz(func(t *testing.T, input string) {
		got := scanAll(t, input, ',', 0)
		prev := 0
		for _, g := range got {
			if g.row <= prev {
				t.Fatalf("row %d after row %d", g.row, prev)
			}
			prev = g.row
		}
		cr := csv.NewReader(strings.NewReader(input))
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
			if got[i].err != "" || !slices.Equal(got[i].fields, want[i]) {
				t.Fatalf("record %d: got %+v, encoding/csv %q", i, got[i], want[i])
			}
		}
	})
}
