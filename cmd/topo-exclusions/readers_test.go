package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/thedatashed/xlsxreader"
	"github.com/xuri/excelize/v2"

	"github.com/topo-io/topo-exclusions/internal/listgen"

	"github.com/topo-io/topo-exclusions/importer"
)

// Set in the environment of a child of the test binary, these make it
// read one workbook with one reader and exit: BenchmarkWorkbookReaders
// measures each reader's time and peak memory in a process of its own.
const (
	readerEnv = "TOPO_BENCH_READER"
	bookEnv   = "TOPO_BENCH_BOOK"
)

// readBook reads every row of the workbook at path with the named reader
// and prints how many it read; it returns the exit code.
func readBook(reader, path string) int {
	n, err := readers[reader](path)
	if err != nil {
		fmt.Fprintln(os.Stderr, reader+":", err)
		return 1
	}
	fmt.Println(n)
	return 0
}

var readers = map[string]func(path string) (int, error){
	// Not a reader: writes the benchmark's workbook, in a process of its
	// own, so that the benchmark's process stays small (see below).
	"write": func(path string) (int, error) {
		n, err := strconv.Atoi(os.Getenv("TOPO_BENCH_XLSX_ROWS"))
		if err != nil {
			return 0, err
		}
		f, err := os.Create(path)
		if err != nil {
			return 0, err
		}
		if err := listgen.WriteWorkbook(f, listgen.Spec{Rows: n, Seed: 7, InvalidEvery: 200, DuplicateEvery: 100}); err != nil {
			return 0, err
		}
		return n, f.Close()
	},
	// The floor of reading a CSV file in Go: encoding/csv, one record
	// buffer reused, nothing checked or written (BenchmarkValidateMillion
	// sets validate's CPU beside it).
	"encoding/csv": func(path string) (int, error) {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
		r.ReuseRecord, r.FieldsPerRecord, r.LazyQuotes = true, -1, true
		n := 0
		for {
			_, err := r.Read()
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			var perr *csv.ParseError
			if err != nil && !errors.As(err, &perr) {
				return n, err
			}
			n++
		}
	},
	// This project's reader, as validate uses it (rows mapped to fields,
	// checked), writing no report.
	"ours": func(path string) (int, error) {
		res, err := importer.Run(context.Background(), importer.Options{Command: importer.Validate, Input: path}, importer.Env{})
		if importer.ExitCode(err) > importer.ExitRows {
			return 0, err
		}
		return res.Summary.Rows, nil
	},
	// excelize's streaming row iterator, its lowest-memory way to read.
	"excelize": func(path string) (int, error) {
		f, err := excelize.OpenFile(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		rows, err := f.Rows(f.GetSheetName(0))
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			if _, err := rows.Columns(); err != nil {
				return n, err
			}
			n++
		}
		return n - 1, rows.Error() // less the header
	},
	"xlsxreader": func(path string) (int, error) {
		x, err := xlsxreader.OpenFile(path)
		if err != nil {
			return 0, err
		}
		defer x.Close()
		n := 0
		for row := range x.ReadRows(x.Sheets[0]) {
			if row.Error != nil {
				return n, row.Error
			}
			n++
		}
		return n - 1, nil
	},
}
