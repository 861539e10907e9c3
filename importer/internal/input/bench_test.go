package input

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/topo-io/topo-exclusions/internal/listgen"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

type discard struct{ n int }

func (d *discard) Record(rows.Outcome) error { d.n++; return nil }

func BenchmarkCheckAll(b *testing.B) {
	var buf bytes.Buffer
	const n = 100_000
	if err := listgen.Write(&buf, listgen.Spec{Rows: n, Seed: 1, InvalidEvery: 100, DuplicateEvery: 50}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), Options{})
		if err != nil {
			b.Fatal(err)
		}
		var d discard
		if err := CheckAll(context.Background(), r, &d); err != nil {
			b.Fatal(err)
		}
		if d.n != n {
			b.Fatalf("read %d rows, want %d", d.n, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWorkbook reads a 100,000-row workbook laid out as Excel saves
// it (shared strings), every row through validation.
func BenchmarkWorkbook(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	if err := listgen.WriteWorkbook(&buf, listgen.Spec{Rows: n, Seed: 1, InvalidEvery: 100, DuplicateEvery: 50}); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "list.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := OpenWorkbook(path, "", Options{})
		if err != nil {
			b.Fatal(err)
		}
		var d discard
		if err := CheckAll(context.Background(), r, &d); err != nil {
			b.Fatal(err)
		}
		r.Close()
		if d.n != n {
			b.Fatalf("read %d rows, want %d", d.n, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkScanner is the CSV scanner alone on 100,000 rows: what
// splitting records costs, apart from validation.
func BenchmarkScanner(b *testing.B) {
	var buf bytes.Buffer
	if err := listgen.Write(&buf, listgen.Spec{Rows: 100_000, Seed: 1, InvalidEvery: 100, DuplicateEvery: 50}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		s := newScanner(bufio.NewReaderSize(bytes.NewReader(buf.Bytes()), sniffSize), ',', 1)
		for {
			_, ok, err := s.next()
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
		}
	}
}
