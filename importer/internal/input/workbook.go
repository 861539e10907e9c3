package input

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// IsWorkbook reports whether path names an Excel workbook by its
// extension (.xlsx, .xlsm).
func IsWorkbook(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".xlsx") || strings.HasSuffix(p, ".xlsm")
}

// OpenWorkbook reads the worksheet named sheet (the first when empty) of
// the workbook at path, streaming its rows: everything after that is as
// for a CSV. Row numbers are the sheet's. Formulas are read as the values
// Excel saved with them, never evaluated. Numbers in the until column are
// Excel dates and are read as such.
//
// The reader is this package's own: the sheet's XML is streamed, the
// shared-strings table kept compactly outside the heap, and a workbook
// whose parts decompress past sane limits is refused (a *BombError).
// Measured against excelize and thedatashed/xlsxreader in
// BenchmarkWorkbookReaders.
func OpenWorkbook(path, sheet string, opt Options) (*Reader, error) {
	v, err := validatorFor(opt)
	if err != nil {
		return nil, err
	}
	wb, err := openWorkbookFile(path)
	if err != nil {
		return nil, err
	}
	src, err := wb.openSheet(sheet)
	if err != nil {
		wb.close()
		return nil, err
	}
	rd := &Reader{src: src, sheet: src, validate: v}
	rd.info = Info{Encoding: "xlsx", Sheet: src.name}
	if err := rd.readHeader(opt); err != nil {
		src.close()
		return nil, err
	}
	return rd, nil
}

// sheetSource yields the non-empty rows of one worksheet.
type sheetSource struct {
	wb    *workbook
	name  string
	r     io.ReadCloser
	d     *xml.Decoder
	row   int
	cells []string
}

func (wb *workbook) openSheet(name string) (*sheetSource, error) {
	ref := wb.sheets[0]
	if name != "" {
		found := false
		var names []string
		for _, s := range wb.sheets {
			names = append(names, s.name)
			if strings.EqualFold(s.name, name) {
				ref, found = s, true
			}
		}
		if !found {
			return nil, setupErrorf("--sheet %q: no such sheet (the workbook has %s)", name, quoteList(names))
		}
	}
	if err := wb.loadStrings(); err != nil {
		return nil, err
	}
	f := wb.files[ref.part]
	if f.UncompressedSize64 > 64<<20 && f.UncompressedSize64 > 200*max(f.CompressedSize64, 1) {
		return nil, &BombError{Reason: fmt.Sprintf("sheet %q decompresses %d to 1 (to %d MiB), far more than a sheet does",
			ref.name, f.UncompressedSize64/max(f.CompressedSize64, 1), f.UncompressedSize64>>20)}
	}
	r, err := f.Open()
	if err != nil {
		return nil, setupErrorf("sheet %q: %v", ref.name, err)
	}
	lim := &limitedReader{r: r, n: maxSheetBytes, what: fmt.Sprintf("sheet %q decompresses past %d GiB", ref.name, maxSheetBytes>>30)}
	return &sheetSource{wb: wb, name: ref.name, r: r, d: xml.NewDecoder(lim)}, nil
}

func (s *sheetSource) close() error {
	err := s.r.Close()
	if cerr := s.wb.close(); err == nil {
		err = cerr
	}
	return err
}

// next returns the next row with a non-blank cell.
func (s *sheetSource) next() (record, bool, error) {
	for {
		cells, num, ok, err := s.readRow()
		if err != nil || !ok {
			return record{}, false, err
		}
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				return record{row: num, fields: cells}, true, nil
			}
		}
	}
}

// readRow reads one <row>: each cell at its column (from its reference,
// or after the last), its value the shared string, the inline string or
// the stored value (a formula's cached result).
func (s *sheetSource) readRow() (cells []string, num int, ok bool, err error) {
	var (
		inRow, inValue, inInline bool
		phonetic                 int
		col                      = -1
		typ                      string
		value                    strings.Builder
	)
	s.cells = s.cells[:0]
	for {
		tok, err := s.d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil, 0, false, nil
		}
		if err != nil {
			var bomb *BombError
			if errors.As(err, &bomb) {
				return nil, 0, false, err
			}
			return nil, 0, false, fmt.Errorf("sheet %q: %w", s.name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow = true
				s.row++
				if n, err := strconv.Atoi(attr(t, "r")); err == nil && n > 0 {
					s.row = n
				}
			case "c":
				col++
				if c, _, ok := cellRef(attr(t, "r")); ok {
					col = c
				}
				typ = attr(t, "t")
				value.Reset()
			case "v":
				inValue = true
			case "is":
				inInline = true
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inValue = false
			case "is":
				inInline = false
			case "rPh":
				phonetic--
			case "c":
				s.put(col, s.cellValue(typ, value.String()))
			case "row":
				if inRow {
					return s.cells, s.row, true, nil
				}
			}
		case xml.CharData:
			if inValue || inInline && phonetic == 0 {
				value.Write(t)
			}
		}
	}
}

func (s *sheetSource) cellValue(typ, v string) string {
	if typ != "s" {
		return v
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return v
	}
	str, ok := s.wb.strings.get(i)
	if !ok {
		return ""
	}
	return str
}

// put places a cell's value at its column.
func (s *sheetSource) put(col int, v string) {
	if col < 0 || col >= 16384 {
		return // past Excel's last column
	}
	for len(s.cells) <= col {
		s.cells = append(s.cells, "")
	}
	s.cells[col] = v
}

// date turns an Excel date serial (a number in the until column) into a
// date, or, with a time of day, an instant read as UTC (Excel keeps no
// time zone). Anything else is returned as it is.
func (s *sheetSource) date(v string) string {
	serial, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || serial <= 0 || serial > 2958465 || math.IsNaN(serial) {
		return v // not a number, or past 9999-12-31
	}
	t := excelTime(serial, s.wb.date1904).Round(time.Second)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// excelTime is the moment of an Excel serial: days since 30 December 1899
// (Excel counts a 29 February 1900 that never was, so serials before 61
// start a day later), or since 1 January 1904 in the Mac date system.
func excelTime(serial float64, date1904 bool) time.Time {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case serial < 61:
		base = base.AddDate(0, 0, 1)
	}
	days := math.Floor(serial)
	return base.AddDate(0, 0, int(days)).Add(time.Duration((serial - days) * float64(24*time.Hour)))
}

// limitedReader fails once more than n bytes were read.
type limitedReader struct {
	r    io.Reader
	n    int64
	what string
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, &BombError{Reason: l.what}
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
