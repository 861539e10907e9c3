package input

import (
	"context"
	"errors"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// checkBatch is how many rows travel between the two stages at once: big
// enough that channel hand-offs cost nothing per row, small enough that the
// rows in flight stay a few hundred kilobytes.
const checkBatch = 512

// Recorder takes each row's outcome, in input order.
type Recorder interface {
	Record(rows.Outcome) error
}

// CheckAll reads every row of r and records what validation alone says of
// it: valid, invalid or duplicate. Nothing is sent anywhere. It stops
// early only when ctx is done, the input cannot be read, or rec fails.
//
// Reading and normalising run in one goroutine, deduplication and
// recording in another, so a dry run of a large file uses both cores of a
// small machine; the order of rows is kept.
func CheckAll(ctx context.Context, r *Reader, rec Recorder) error {
	g, gctx := errgroup.WithContext(ctx)
	full := make(chan []rows.Row, 4)
	free := make(chan []rows.Row, 6)
	g.Go(func() error {
		defer close(full)
		for {
			var batch []rows.Row
			select {
			case batch = <-free:
			default:
				batch = make([]rows.Row, 0, checkBatch)
			}
			batch, err := fillBatch(r, batch[:0])
			if len(batch) > 0 {
				select {
				case full <- batch:
				case <-gctx.Done():
					return context.Cause(gctx)
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	})
	g.Go(func() error {
		for batch := range full {
			r.validate.DedupeAll(batch)
			for i := range batch {
				if err := rec.Record(rows.Checked(batch[i])); err != nil {
					return err
				}
			}
			select { // the next fill overwrites every row: no need to clear it
			case free <- batch:
			default:
			}
		}
		return nil
	})
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

func fillBatch(r *Reader, batch []rows.Row) ([]rows.Row, error) {
	for len(batch) < cap(batch) {
		row, err := r.read()
		if err != nil {
			return batch, err
		}
		batch = append(batch, row)
	}
	return batch, nil
}
