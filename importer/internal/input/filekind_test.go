package input

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/unicode"

	"github.com/topo-io/topo-exclusions/internal/listgen"
)

// oleFile is an OLE compound file's header and first directory sector,
// naming streams as Excel's encrypted workbooks (EncryptionInfo,
// EncryptedPackage) or its .xls files (Workbook) do.
func oleFile(streams ...string) []byte {
	b := make([]byte, 1024)
	copy(b, oleMagic)
	binary.LittleEndian.PutUint16(b[30:], 9) // 512-byte sectors
	binary.LittleEndian.PutUint32(b[48:], 0) // the directory starts in sector 0
	for i, name := range append([]string{"Root Entry"}, streams...) {
		e := b[512+128*i:]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			binary.LittleEndian.PutUint16(e[2*j:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*len(u)+2))
	}
	return b
}

// oleFileChained is an OLE file whose directory runs over two sectors,
// 0 and 2, chained through the allocation table in sector 1: the names
// that tell what it is are in the second.
func oleFileChained(first, second []string) []byte {
	b := oleFile(first...)
	b = append(b, make([]byte, 1024)...) // sectors 1 (the table) and 2
	binary.LittleEndian.PutUint32(b[76:], 1)
	fat := b[512*2:]
	for i := range 128 {
		binary.LittleEndian.PutUint32(fat[4*i:], 0xFFFFFFFF) // free
	}
	binary.LittleEndian.PutUint32(fat[0:], 2)          // sector 0 is followed by 2
	binary.LittleEndian.PutUint32(fat[4:], 0xFFFFFFFD) // sector 1 is the table
	binary.LittleEndian.PutUint32(fat[8:], 0xFFFFFFFE) // sector 2 ends the chain
	dir := oleFile(second...)[512:]
	copy(b[512*3:], dir[128:]) // without a second root entry
	return b
}

func zipOf(t *testing.T, stored bool, parts ...string) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for i := 0; i < len(parts); i += 2 {
		method := zip.Deflate
		if stored {
			method = zip.Store
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: parts[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(parts[i+1]))
	}
	z.Close()
	return buf.Bytes()
}

func workbookBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := listgen.WriteWorkbook(&buf, listgen.Spec{Rows: 3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNotAWorkbook: a file named .xlsx that is something else is a
// SetupError saying what it is and what to do.
func TestNotAWorkbook(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("email\n"))
	zw.Close()
	good := workbookBytes(t)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"encrypted", oleFile("\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"), "is a password-protected workbook: Excel encrypts all of such a file"},
		{"legacy .xls", oleFile("Workbook", "\x05SummaryInformation"), "is a legacy Excel 97-2003 workbook (.xls)"},
		{"encrypted, its names in the directory's second sector", oleFileChained([]string{"\x06DataSpaces", "Version", "DataSpaceMap"}, []string{"EncryptionInfo", "EncryptedPackage"}),
			"is a password-protected workbook"},
		{"OLE, directory unknown", oleFileChained([]string{"Something"}, []string{"Else"}), "is an OLE compound file, not an .xlsx workbook: a password-protected workbook"},
		{"OLE, cut short", oleFile()[:100], "is an OLE compound file"},
		{"CSV named .xlsx", []byte("email,reason\na@x.co,other\n"), "is a text file (CSV?), not a workbook, though its name says .xlsx: rename it to end in .csv"},
		{"UTF-16 CSV named .xlsx", []byte("\xff\xfee\x00m\x00"), "is a text file (CSV?)"},
		{"HTML named .xlsx", []byte("\ufeff  <html><table><tr><td>email</td></tr></table></html>"), "is HTML or XML text"},
		{"empty", nil, "is empty (0 bytes)"},
		{"gzip", gz.Bytes(), "is gzip-compressed"},
		{"PDF", []byte("%PDF-1.7\n"), "is a PDF document"},
		{"binary", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, "is not a workbook (an .xlsx file is a zip archive; this one starts 01 02 03"},
		{"a zip cut short", good[:len(good)/2], "is a damaged or incomplete zip file"},
		{"OpenDocument", zipOf(t, true, "mimetype", "application/vnd.oasis.opendocument.spreadsheet", "content.xml", "<x/>"), "is an OpenDocument spreadsheet (.ods)"},
		{"another zip", zipOf(t, false, "readme.txt", "hello"), "is a zip file but not a workbook (no readable xl/workbook.xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeTemp(t, "list.xlsx", tc.data)
			_, err := OpenWorkbook(path, "", Options{DefaultReason: "other"})
			var setup *SetupError
			if !errors.As(err, &setup) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err %v, want a SetupError naming the file and saying %q", err, tc.want)
			}
		})
	}
}

// TestNotText: a stream read as CSV that is no text (a workbook piped in
// or renamed .csv, an archive, binary data) is a SetupError saying what it
// is, not a stray quote in column 1; text in any encoding is read.
func TestNotText(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("email\n"))
	zw.Close()
	utf16NoBOM, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String("email,reason\na@x.co,other\n")
	// UTF-16 of text in a script without ASCII escapes the NUL sniffer.
	cjk, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String("email,reason\n" + strings.Repeat("中文", 100) + "@x.co,other\n")
	binary := bytes.Repeat([]byte{0, 1, 2, 0xFF, 'a'}, 100)
	for _, tc := range []struct {
		name  string
		data  []byte
		force Encoding
		want  string // "" when it is text
	}{
		{"an .xlsx", workbookBytes(t), "", "this is an Excel workbook (a zip file), not text: give it a name ending in .xlsx"},
		{"an .ods", zipOf(t, true, "mimetype", "application/vnd.oasis.opendocument.spreadsheet"), "", "OpenDocument spreadsheet (.ods"},
		{"another zip", zipOf(t, false, "a.txt", "x"), "", "this is a zip archive, not text"},
		{"an empty zip", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), "", "this is a zip archive"},
		{"encrypted workbook", oleFile("EncryptionInfo", "EncryptedPackage"), "", "this is a password-protected (encrypted) Excel workbook, not text"},
		{"legacy .xls", oleFile("Workbook"), "", "this is a legacy Excel 97-2003 workbook (.xls), not text"},
		{"gzip", gz.Bytes(), "", "this is gzip-compressed"},
		{"PDF", []byte("%PDF-1.4\n%\xe2\xe3\n"), "", "this is a PDF document"},
		{"binary", binary, "", "binary data, not text"},
		{"binary, forced windows-1252", binary, Windows1252, "binary data, not text"},
		{"UTF-16 without BOM", []byte(utf16NoBOM), "", ""},
		{"UTF-16 without BOM, forced, little ASCII", []byte(cjk), UTF16LE, ""},
		{"UTF-16 without BOM, little ASCII", []byte(cjk), "", "needs --encoding utf-16le"},
		{"one stray NUL in text", []byte("email,reason\n" + strings.Repeat("a@x.co,other\n", 20) + "\x00"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewReader(bytes.NewReader(tc.data), Options{Encoding: tc.force, DefaultReason: "other"})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("text refused: %v", err)
				}
				return
			}
			var setup *SetupError
			if !errors.As(err, &setup) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a SetupError saying %q", err, tc.want)
			}
		})
	}
}
