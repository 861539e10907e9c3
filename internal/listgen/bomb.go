package listgen

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"strings"
)

// WriteStringsBomb writes a workbook of three small rows whose shared
// strings table holds entries more entries of text each: a few MB that
// decompress to hundreds. It is made in milliseconds: one block of
// entries is compressed once and repeated, which is a valid deflate
// stream because each block refers only to itself.
func WriteStringsBomb(w io.Writer, entries int, text string) error {
	rows := [][]string{{"email", "reason"}, {"a@example.com", "other"}, {"b@example.com", "other"}}
	return writeSheet(w, rows, func(z *zip.Writer, name, head, tail string) error {
		unit := strings.Repeat("<si><t>"+text+"</t></si>", max(1, min(entries, 64<<10/max(len(text), 1))))
		per := strings.Count(unit, "<si>")
		return repeatPart(z, name, head, unit, entries/per, tail)
	})
}

// repeatPart writes a deflated zip part of head, unit n times, tail.
func repeatPart(z *zip.Writer, name, head, unit string, n int, tail string) error {
	var body bytes.Buffer
	block := func(s string, final bool) error {
		fw, err := flate.NewWriter(&body, flate.BestCompression)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, s); err != nil {
			return err
		}
		if final {
			return fw.Close()
		}
		return fw.Flush() // ends on a byte boundary, not the last block
	}
	if err := block(head, false); err != nil {
		return err
	}
	start := body.Len()
	if err := block(unit, false); err != nil {
		return err
	}
	compressed := bytes.Clone(body.Bytes()[start:])
	for range n - 1 {
		body.Write(compressed)
	}
	if err := block(tail, true); err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	io.WriteString(crc, head)
	for range n {
		io.WriteString(crc, unit)
	}
	io.WriteString(crc, tail)
	size := uint64(len(head) + n*len(unit) + len(tail))
	fw, err := z.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(body.Len()), UncompressedSize64: size})
	if err != nil {
		return err
	}
	_, err = fw.Write(body.Bytes())
	return err
}
