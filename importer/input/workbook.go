package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
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
func OpenWorkbook(path, sheet string, opt Options) (*Reader, error) {
	v, err := validatorFor(opt)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, setupErrorf("%s is not a readable workbook: %v", path, err)
	}
	src, err := openSheet(f, sheet)
	if err != nil {
		f.Close()
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
	f        *excelize.File
	rows     *excelize.Rows
	name     string
	row      int
	date1904 bool
}

func openSheet(f *excelize.File, name string) (*sheetSource, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, setupErrorf("the workbook has no worksheet")
	}
	if name == "" {
		name = sheets[0]
	} else if !containsFold(sheets, &name) {
		return nil, setupErrorf("--sheet %q: no such sheet (the workbook has %s)", name, quoteList(sheets))
	}
	rows, err := f.Rows(name)
	if err != nil {
		return nil, setupErrorf("sheet %q: %v", name, err)
	}
	s := &sheetSource{f: f, rows: rows, name: name}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		s.date1904 = *props.Date1904
	}
	return s, nil
}

// containsFold finds name among sheets, ignoring case, and corrects its
// spelling to the sheet's.
func containsFold(sheets []string, name *string) bool {
	for _, s := range sheets {
		if strings.EqualFold(s, *name) {
			*name = s
			return true
		}
	}
	return false
}

func (s *sheetSource) next() (record, bool, error) {
	for s.rows.Next() {
		s.row++
		cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return record{row: s.row, err: err}, true, nil
		}
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				return record{row: s.row, fields: cells}, true, nil
			}
		}
	}
	return record{}, false, s.rows.Error()
}

func (s *sheetSource) close() error {
	err := s.rows.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// date turns an Excel date serial (a number in the until column) into a
// date, or, with a time of day, an instant read as UTC (Excel keeps no
// time zone). Anything else is returned as it is.
func (s *sheetSource) date(v string) string {
	serial, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || serial <= 0 || math.IsInf(serial, 0) || math.IsNaN(serial) {
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, s.date1904)
	if err != nil {
		return v
	}
	t = t.Round(time.Second)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly)
	}
	return fmt.Sprint(t.UTC().Format(time.RFC3339))
}
