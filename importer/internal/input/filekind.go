package input

import (
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf16"
)

// fileKind is what the first bytes of an input say it is, when that is
// not what the reader was asked to read: an operator who renamed a file,
// piped the wrong one or saved it in the wrong format is told what it is.
type fileKind int

const (
	kindText      fileKind = iota // nothing says otherwise
	kindXLSX                      // an OOXML workbook: a zip with xl/ parts
	kindODS                       // an OpenDocument spreadsheet (a zip)
	kindZip                       // another zip archive
	kindOLE                       // an OLE compound file: .xls, or an encrypted .xlsx
	kindOLEXLS                    // ... whose directory names a Workbook stream
	kindEncrypted                 // ... whose directory names an EncryptedPackage
	kindGzip                      // gzip-compressed
	kindPDF                       // a PDF document
	kindBinary                    // control bytes no text has
)

var (
	zipMagic      = []byte("PK\x03\x04")
	zipEmptyMagic = []byte("PK\x05\x06")
	oleMagic      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniffKind reads head, the first bytes of an input (the whole file when
// it is short): by magic number first, then, for text the encoding sniffer
// did not take for UTF-16, by its control bytes. at reads further into an
// OLE file, for its directory.
func sniffKind(head []byte, at io.ReaderAt) fileKind {
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return zipKind(head)
	case bytes.HasPrefix(head, zipEmptyMagic):
		return kindZip
	case bytes.HasPrefix(head, oleMagic):
		return oleKind(head, at)
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		return kindGzip
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return kindPDF
	}
	if _, utf16 := sniffUTF16(head); utf16 || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return kindText
	}
	if binaryBytes(head) {
		return kindBinary
	}
	return kindText
}

// binaryBytes reports whether more than one byte in a hundred of head is a
// control character that text does not hold (NUL, and C0 codes other than
// tab, line feed, form feed, carriage return and the old DOS end-of-file).
// One stray NUL in an otherwise good export stays text.
func binaryBytes(head []byte) bool {
	n := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1A {
			n++
		}
	}
	return n > 0 && n*100 > len(head)
}

// zipKind tells a workbook from other zips by the parts it names near the
// start: Excel writes [Content_Types].xml and xl/ first; an OpenDocument
// file starts with its mimetype, stored uncompressed.
func zipKind(head []byte) fileKind {
	const nameAt = 30
	if len(head) >= nameAt {
		n := int(binary.LittleEndian.Uint16(head[26:]))
		extra := int(binary.LittleEndian.Uint16(head[28:]))
		if len(head) >= nameAt+n && string(head[nameAt:nameAt+n]) == "mimetype" {
			if bytes.HasPrefix(head[nameAt+n+extra:], []byte("application/vnd.oasis.opendocument.spreadsheet")) {
				return kindODS
			}
			return kindZip
		}
	}
	if bytes.Contains(head, []byte("xl/")) {
		return kindXLSX
	}
	return kindZip
}

// oleKind looks for the stream names in an OLE compound file's
// directory: EncryptionInfo and EncryptedPackage are what Excel writes
// for a password-protected .xlsx, Workbook (Book before Excel 97) is a
// legacy .xls. Anything else, or a directory at can not reach, stays a
// plain OLE file, which the messages cover both ways.
func oleKind(head []byte, at io.ReaderAt) fileKind {
	if len(head) < 512 {
		return kindOLE
	}
	shift := binary.LittleEndian.Uint16(head[30:])
	if shift != 9 && shift != 12 {
		return kindOLE
	}
	size := int64(1) << shift
	sect := binary.LittleEndian.Uint32(head[48:])
	dir := make([]byte, size)
	// The directory is a chain of sectors through the allocation table;
	// the names are near its start, so a few sectors do.
	for range 16 {
		if sect >= 0xFFFFFFFA {
			break // the end of the chain, or no directory
		}
		if n, _ := at.ReadAt(dir, (int64(sect)+1)*size); n < len(dir) {
			break
		}
		for e := 0; e+128 <= len(dir); e += 128 {
			switch oleName(dir[e : e+128]) {
			case "EncryptionInfo", "EncryptedPackage":
				return kindEncrypted
			case "Workbook", "Book":
				return kindOLEXLS
			}
		}
		sect = oleNext(head, at, size, sect)
	}
	return kindOLE
}

// oleNext is the sector after sect in its chain, from the allocation
// table sector the header lists for it (the first 109, which cover files
// up to 6.8 MB in 512-byte sectors and far more in 4096-byte ones).
func oleNext(head []byte, at io.ReaderAt, size int64, sect uint32) uint32 {
	perSector := uint32(size / 4)
	i := sect / perSector
	if i >= 109 {
		return 0xFFFFFFFE
	}
	fat := binary.LittleEndian.Uint32(head[76+4*i:])
	var next [4]byte
	if fat >= 0xFFFFFFFA {
		return 0xFFFFFFFE
	}
	if n, _ := at.ReadAt(next[:], (int64(fat)+1)*size+int64(sect%perSector)*4); n < 4 {
		return 0xFFFFFFFE
	}
	return binary.LittleEndian.Uint32(next[:])
}

// oleName is the name of one 128-byte directory entry: UTF-16LE, its
// length in bytes (terminator included) at offset 64.
func oleName(entry []byte) string {
	n := int(binary.LittleEndian.Uint16(entry[64:]))
	if n < 2 || n > 64 {
		return ""
	}
	u := make([]uint16, n/2-1)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(entry[2*i:])
	}
	return string(utf16.Decode(u))
}

// notTextError is what reading a kind as CSV says; "" for text.
func notTextError(k fileKind) error {
	switch k {
	case kindXLSX:
		return setupErrorf("this is an Excel workbook (a zip file), not text: give it a name ending in .xlsx (from standard input, save it to such a file first), or save it from Excel as CSV UTF-8")
	case kindODS:
		return setupErrorf("this is an OpenDocument spreadsheet (.ods, a zip file), not text: save it as .xlsx or as CSV UTF-8")
	case kindZip:
		return setupErrorf("this is a zip archive, not text: unzip it and give the list inside")
	case kindOLE, kindOLEXLS, kindEncrypted:
		return setupErrorf("this is %s, not text: open it in Excel and save it as CSV UTF-8 (or as .xlsx, without a password)", oleWhat(k))
	case kindGzip:
		return setupErrorf("this is gzip-compressed, not text: decompress it first (gunzip)")
	case kindPDF:
		return setupErrorf("this is a PDF document, not a list: export the list itself as CSV")
	case kindBinary:
		return setupErrorf("binary data, not text: a list is CSV or tab-separated text, or an .xlsx workbook (is this the right file? UTF-16 text without a byte-order mark needs --encoding utf-16le or utf-16be)")
	}
	return nil
}

func oleWhat(k fileKind) string {
	switch k {
	case kindEncrypted:
		return "a password-protected (encrypted) Excel workbook"
	case kindOLEXLS:
		return "a legacy Excel 97-2003 workbook (.xls)"
	}
	return "an OLE compound file (a legacy .xls, or a password-protected workbook)"
}

// notWorkbookError says what a file named as a workbook is instead.
func notWorkbookError(name string, head []byte, k fileKind) error {
	switch {
	case len(head) == 0:
		return setupErrorf("%s is empty (0 bytes), not a workbook", name)
	case k == kindEncrypted:
		return setupErrorf("%s is a password-protected workbook: Excel encrypts all of such a file, so it cannot be read without the password. Open it in Excel, clear the password (File > Info > Protect Workbook > Encrypt with Password), save it and run again; or save a copy as CSV UTF-8", name)
	case k == kindOLEXLS:
		return setupErrorf("%s is a legacy Excel 97-2003 workbook (.xls), which this tool does not read, whatever its name: open it in Excel and save it as Excel Workbook (.xlsx) or CSV UTF-8", name)
	case k == kindOLE:
		return setupErrorf("%s is an OLE compound file, not an .xlsx workbook: a password-protected workbook (open it in Excel and save it without the password) or a legacy .xls (save it as .xlsx); CSV UTF-8 does for both", name)
	case k == kindText && looksLikeMarkup(head):
		return setupErrorf("%s is HTML or XML text, not an .xlsx workbook (some tools export \"Excel\" files so): open it in Excel and save it as Excel Workbook (.xlsx) or CSV UTF-8", name)
	case k == kindText:
		return setupErrorf("%s is a text file (CSV?), not a workbook, though its name says .xlsx: rename it to end in .csv and run again", name)
	case k == kindGzip:
		return setupErrorf("%s is gzip-compressed, not a workbook: decompress it first", name)
	case k == kindPDF:
		return setupErrorf("%s is a PDF document, not a workbook: export the list itself as .xlsx or CSV", name)
	}
	return setupErrorf("%s is not a workbook (an .xlsx file is a zip archive; this one starts % x)", name, head[:min(len(head), 8)])
}

// looksLikeMarkup reports whether text starts (after a BOM and spaces)
// with '<': an HTML table or an Excel 2003 XML spreadsheet.
func looksLikeMarkup(head []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	return len(t) > 0 && t[0] == '<'
}
