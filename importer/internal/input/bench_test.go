package input

import (
	"bytes"
	"context"
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
