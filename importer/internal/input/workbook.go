package input

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
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
// What a sheet says is checked, not trusted: a row number repeated or
// out of order, a shared string that is not there, a cell over
// MaxRecordBytes make that row invalid; a sheet that ends early is an
// error, never the end of the list. A file that is not a workbook (an
// encrypted one, an .xls, a CSV) is a *SetupError that says what it is.
// Measured against excelize and thedatashed/xlsxreader in
// BenchmarkWorkbookReaders.
func OpenWorkbook(path, sheet string, opt Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	return OpenWorkbookFile(f, path, sheet, opt)
}

// OpenWorkbookFile is OpenWorkbook on the workbook already open as f (the
// one open of a run's input: what it fingerprints is what it reads); name
// is its path, for messages. The reader closes f, and so does a failure.
func OpenWorkbookFile(f *os.File, name, sheet string, opt Options) (*Reader, error) {
	v, err := validatorFor(opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	wb, err := workbookOf(f, name)
	if err != nil {
		return nil, err
	}
	src, warnings, err := wb.openSheet(sheet)
	if err != nil {
		wb.close()
		return nil, err
	}
	rd := &Reader{src: src, sheet: src, validate: v}
	rd.info = Info{Encoding: "xlsx", Sheet: src.name, Warnings: warnings}
	if err := rd.readHeader(opt); err != nil {
		src.close()
		return nil, err
	}
	return rd, nil
}

// openSheet opens the worksheet named name, or the first one; warnings
// say what the operator should know of the choice.
func (wb *workbook) openSheet(name string) (src *sheetSource, warnings []string, err error) {
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
			return nil, nil, setupErrorf("--sheet %q: no such sheet (the workbook has %s)", name, quoteList(names))
		}
	} else if w := wb.hiddenFirst(); w != "" {
		warnings = append(warnings, w)
	}
	if err := wb.loadStrings(); err != nil {
		return nil, nil, err
	}
	f := wb.files[ref.part]
	if f.UncompressedSize64 > 64<<20 && f.UncompressedSize64 > 200*max(f.CompressedSize64, 1) {
		return nil, nil, &BombError{Reason: fmt.Sprintf("sheet %q decompresses %d to 1 (to %d MiB), far more than a sheet does",
			ref.name, f.UncompressedSize64/max(f.CompressedSize64, 1), f.UncompressedSize64>>20)}
	}
	r, err := f.Open()
	if err != nil {
		return nil, nil, setupErrorf("%s, sheet %q: %v", wb.path, ref.name, err)
	}
	lim := &limitedReader{r: r, n: maxSheetBytes, what: fmt.Sprintf("sheet %q decompresses past %d GiB", ref.name, maxSheetBytes>>30)}
	d := xml.NewDecoder(newTextGuard(lim, MaxRecordBytes))
	return &sheetSource{wb: wb, name: ref.name, r: r, d: d, max: MaxRecordBytes}, warnings, nil
}

// hiddenFirst is the warning for a first sheet hidden in Excel, which is
// read when no --sheet names one: the operator looking at the workbook
// sees other sheets.
func (wb *workbook) hiddenFirst() string {
	first := wb.sheets[0]
	how := map[string]string{"hidden": "hidden", "veryHidden": "very hidden (only a macro can show it)"}[first.state]
	if how == "" {
		return ""
	}
	var visible []string
	for _, s := range wb.sheets {
		if s.state != "hidden" && s.state != "veryHidden" {
			visible = append(visible, s.name)
		}
	}
	shown := "the workbook has no visible sheet"
	if len(visible) > 0 {
		shown = "the visible sheets are " + quoteList(visible)
	}
	return fmt.Sprintf("reading the first sheet, %q, which is %s in Excel: %s; name the sheet to read with --sheet", first.name, how, shown)
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
