package input

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// What a workbook may make the reader decompress and keep. A workbook is
// a zip of XML that compresses a thousandfold when it is built to; these
// bound a hostile one while leaving room for any real list (Excel's own
// limit is 1,048,576 rows).
const (
	// maxStrings and maxStringBytes bound the shared-strings table kept.
	maxStrings     = 8 << 20
	maxStringBytes = 128 << 20
	// maxSmallPart bounds workbook.xml and the relationships.
	maxSmallPart = 16 << 20
	// maxSheetBytes bounds the decompressed sheet (streamed: this bounds
	// time, not memory).
	maxSheetBytes = 4 << 30
	// maxStringsRatio bounds how far the shared strings may compress: real
	// text does 5 to 20 to 1; a bomb, hundreds.
	maxStringsRatio = 100
	// spareStrings is how many more shared strings than cells are taken as
	// Excel's own leftovers.
	spareStrings = 10000
)

// workbook is an .xlsx/.xlsm file opened for streaming one sheet.
type workbook struct {
	path     string // as given, for messages
	f        *os.File
	files    map[string]*zip.File
	sheets   []sheetRef
	date1904 bool
	strings  *sharedStrings
}

// sheetRef is a worksheet: its name, its part, and its state in
// workbook.xml ("hidden", "veryHidden", or "" when visible).
type sheetRef struct{ name, part, state string }

// BombError is a workbook whose parts decompress past sane limits.
type BombError struct{ Reason string }

func (e *BombError) Error() string {
	return "refusing the workbook: " + e.Reason + " (a damaged or hostile file; save it again from Excel, or export it as CSV)"
}

// Usage marks it a setup error: nothing was sent.
func (e *BombError) Usage() bool { return true }

// workbookOf reads the structure of the workbook open as f (closed on
// failure, and when the workbook is): its sheets, their parts, the date
// system and where the shared strings are. A file that is no zip is a
// *SetupError saying what it is instead.
func workbookOf(f *os.File, name string) (*workbook, error) {
	z, err := openZip(name, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	wb := &workbook{path: name, f: f, files: map[string]*zip.File{}}
	for _, zf := range z.File {
		wb.files[strings.TrimPrefix(zf.Name, "/")] = zf
	}
	if err := wb.readStructure(); err != nil {
		f.Close()
		return nil, err
	}
	return wb, nil
}

func openZip(name string, f *os.File) (*zip.Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	if st.IsDir() {
		return nil, setupErrorf("%s is a folder, not a file", name)
	}
	head := make([]byte, 4096)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if !bytes.HasPrefix(head, zipMagic) && !bytes.HasPrefix(head, zipEmptyMagic) {
		return nil, notWorkbookError(name, head, sniffKind(head, f))
	}
	z, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, setupErrorf("%s is a damaged or incomplete zip file, not a readable workbook (%v): save it again from Excel, or fetch it again", name, err)
	}
	return z, nil
}

func (wb *workbook) close() error {
	if wb.strings != nil {
		wb.strings.free()
	}
	return wb.f.Close()
}

// readStructure follows the package's relationships to the workbook part,
// its sheets and its shared strings.
func (wb *workbook) readStructure() error {
	main := "xl/workbook.xml"
	if rels, err := wb.relationships("_rels/.rels", ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				main = r.target
			}
		}
	}
	data, err := wb.small(main)
	if err != nil {
		var bomb *BombError
		if errors.As(err, &bomb) {
			return err
		}
		if mt, merr := wb.small("mimetype"); merr == nil && bytes.HasPrefix(mt, []byte("application/vnd.oasis.opendocument.spreadsheet")) {
			return setupErrorf("%s is an OpenDocument spreadsheet (.ods), not an .xlsx workbook, whatever its name: save it as Excel Workbook (.xlsx) or CSV UTF-8", wb.path)
		}
		return setupErrorf("%s is a zip file but not a workbook (no readable %s: %v)", wb.path, main, err)
	}
	sheets, date1904, err := parseWorkbook(data)
	if err != nil {
		return setupErrorf("%s, %s: %v", wb.path, main, err)
	}
	wb.date1904 = date1904
	rels, err := wb.relationships(path.Join(path.Dir(main), "_rels", path.Base(main)+".rels"), path.Dir(main))
	if err != nil {
		return setupErrorf("the workbook's relationships: %v", err)
	}
	targets := map[string]string{}
	for _, r := range rels {
		if !notWorksheet(r.typ) {
			targets[r.id] = r.target
		}
		if strings.HasSuffix(r.typ, "/sharedStrings") {
			wb.strings = &sharedStrings{part: r.target}
		}
	}
	for _, s := range sheets {
		if t := targets[s.id]; t != "" && wb.files[t] != nil {
			wb.sheets = append(wb.sheets, sheetRef{name: s.name, part: t, state: s.state})
		}
	}
	if len(wb.sheets) == 0 {
		return setupErrorf("%s has no worksheet", wb.path)
	}
	return nil
}

// small reads a whole part of at most maxSmallPart bytes.
func (wb *workbook) small(name string) ([]byte, error) {
	f := wb.files[name]
	if f == nil {
		return nil, fmt.Errorf("no part %s", name)
	}
	if f.UncompressedSize64 > maxSmallPart {
		return nil, &BombError{Reason: fmt.Sprintf("%s would decompress to %d MiB", name, f.UncompressedSize64>>20)}
	}
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, maxSmallPart))
}

type relationship struct{ id, typ, target string }

// notWorksheet reports whether a sheet's relationship type is one of the
// sheets that hold no rows: a chart, a dialog, an Excel 4 macro sheet.
func notWorksheet(typ string) bool {
	for _, t := range []string{"/chartsheet", "/dialogsheet", "/xlMacrosheet", "/xlIntlMacrosheet"} {
		if strings.HasSuffix(typ, t) {
			return true
		}
	}
	return false
}

// relationships reads a .rels part; targets are resolved against dir.
func (wb *workbook) relationships(name, dir string) ([]relationship, error) {
	data, err := wb.small(name)
	if err != nil {
		return nil, err
	}
	var out []relationship
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			r := relationship{id: attr(se, "Id"), typ: attr(se, "Type"), target: attr(se, "Target")}
			if strings.HasPrefix(r.target, "/") {
				r.target = strings.TrimPrefix(r.target, "/")
			} else {
				r.target = path.Clean(path.Join(dir, r.target))
			}
			out = append(out, r)
		}
	}
}

type sheetDecl struct{ name, id, state string }

// parseWorkbook reads the sheets' names and relationship ids, and the
// date system (1904 on old Macs).
func parseWorkbook(data []byte) ([]sheetDecl, bool, error) {
	var sheets []sheetDecl
	date1904 := false
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return sheets, date1904, nil
		}
		if err != nil {
			return nil, false, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "workbookPr":
			v := attr(se, "date1904")
			date1904 = v == "1" || v == "true"
		case "sheet":
			s := sheetDecl{name: attr(se, "name"), state: attr(se, "state")}
			for _, a := range se.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					s.id = a.Value
				}
			}
			sheets = append(sheets, s)
		}
	}
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// cells estimates the cells of all the sheets from their dimension
// elements (A1:E1000001), which Excel writes first; -1 when a sheet has
// none.
func (wb *workbook) cells() int64 {
	var total int64
	for _, s := range wb.sheets {
		n := sheetDimension(wb.files[s.part])
		if n < 0 {
			return -1
		}
		total += n
	}
	return total
}

func sheetDimension(f *zip.File) int64 {
	r, err := f.Open()
	if err != nil {
		return -1
	}
	defer r.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	i := bytes.Index(head, []byte("dimension ref=\""))
	if i < 0 {
		return -1
	}
	ref := head[i+len("dimension ref=\""):]
	ref = ref[:max(bytes.IndexByte(ref, '"'), 0)]
	_, to, ok := strings.Cut(string(ref), ":")
	if !ok {
		return 1
	}
	col, row, ok := cellRef(to)
	if !ok {
		return -1
	}
	return int64(col+1) * int64(row)
}

// cellRef splits "AB12" into column 27 (0-based) and row 12.
func cellRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 || i > 3 {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	return col - 1, row, err == nil && row > 0
}
