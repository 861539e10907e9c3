package settle

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// slicePages is how many pages apart the samples of a parallel scan are:
// a slice's records are held until the slices before it are handed
// over, so at most Parallel+1 slices of them are in memory.
const slicePages = 20

// sample is one page of the list read to cut it into slices: page
// 1+j*slicePages of the whole range. last says no page follows it.
type sample struct {
	items []topo.Exclusion
	last  bool
}

// slot is one slice's records as they are read, complete when done is
// closed. The slice being handed over is taken from as it is read, so
// that a stop leaves in the output what was read of it.
type slot struct {
	mu   sync.Mutex
	recs []topo.Exclusion
	more chan struct{} // a record was added (at most one signal waits)
	err  error
	done chan struct{}
}

func newSlot() *slot { return &slot{more: make(chan struct{}, 1), done: make(chan struct{})} }

func (sl *slot) add(ex topo.Exclusion) {
	sl.mu.Lock()
	sl.recs = append(sl.recs, ex)
	sl.mu.Unlock()
	select {
	case sl.more <- struct{}{}:
	default:
	}
}

// take removes and returns the records added so far.
func (sl *slot) take() []topo.Exclusion {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	recs := sl.recs
	sl.recs = nil
	return recs
}

// slices reads [from, to) as slices cut at stamps of its own records, up
// to w.Parallel at once, and hands their records to fn in order, calling
// progress after each slice. It returns how many slices there were.
//
// A sample page holds, complete, every record stamped from its second
// distinct stamp up to its last (a page in created_at order cannot miss
// one in between, whatever the order among equal stamps). So slice j
// starts where sample j's complete part does (never before the end of
// sample j-1's), takes that part from the sample as read, and reads the
// rest up to where slice j+1 starts as a window. The cut points only
// balance the work: wherever they fall, the slices partition the range.
// A sample that does not lie past the one before (a server that ignores
// the page, or repeats an answer) ends the sampling, and the last slice
// reads the rest.
func (w *walk) slices(ctx context.Context, from, to time.Time, fn func(topo.Exclusion) error, progress func()) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := errgroup.WithContext(ctx)
	samples := make(chan sample, 1)
	order := make(chan *slot, w.Parallel)
	g.Go(func() error {
		defer close(samples)
		return w.sample(gctx, from, to, samples)
	})
	g.Go(func() error {
		defer close(order)
		return w.cut(gctx, g, from, to, samples, order)
	})
	n := 0
	var err error
	for sl := range order {
		if err == nil && gctx.Err() == nil {
			n++
			if err = deliver(gctx, sl, fn, progress); err != nil {
				cancel(err)
			}
		}
	}
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return n, err
}

// deliver hands a slice's records to fn as they are read, until the
// slice is complete (or the scan stops).
func deliver(ctx context.Context, sl *slot, fn func(topo.Exclusion) error, progress func()) error {
	for {
		var done bool
		select {
		case <-sl.done:
			done = true
		case <-sl.more:
		case <-ctx.Done():
			return nil // the error that stopped the scan is the group's
		}
		for _, ex := range sl.take() {
			if err := fn(ex); err != nil {
				return err
			}
		}
		progress()
		if done {
			return nil
		}
	}
}

// sample reads the sample pages, in order, until one is empty, says it
// is the last, or does not lie past the one before. A page that cannot
// be the answer (out of order, or outside the range) is asked again.
func (w *walk) sample(ctx context.Context, from, to time.Time, out chan<- sample) error {
	var prev []topo.Exclusion
	for j, stall := 0, 0; ; j++ {
		page := 1 + j*slicePages
		if j > 0 && w.Total > 0 && (page-1)*PageSize >= w.Total {
			return nil // past the last page, by the total: not worth a request
		}
		p, err := w.page(ctx, w.query(from, to, page))
		if err != nil {
			return err
		}
		if !ascending(p.Items) || !within(p.Items, from, to) {
			if stall++; stall >= maxStall {
				return &ScanError{Page: int(w.pages.Load()), Reason: "Topo's list answers with pages out of the order or the window asked: it cannot be read completely"}
			}
			j--
			continue
		}
		stall = 0
		if len(p.Items) == 0 {
			return nil
		}
		if prev != nil && !p.Items[0].CreatedAt.After(prev[len(prev)-1].CreatedAt) {
			return nil // not past the sample before: the page numbers are not honoured
		}
		m, known := more(p, page)
		last := known && !m
		select {
		case out <- sample{items: p.Items, last: last}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if last {
			return nil
		}
		prev = p.Items
	}
}

// cut turns the samples into slices, each read on a goroutine of g (at
// most w.Parallel at once), and queues their slots in order.
func (w *walk) cut(ctx context.Context, g *errgroup.Group, from, to time.Time, samples <-chan sample, order chan<- *slot) error {
	sem := make(chan struct{}, w.Parallel)
	start := func(s sample, lo, hi time.Time) error {
		if !lo.Before(hi) {
			return nil
		}
		sl := newSlot()
		select {
		case order <- sl:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		g.Go(func() error {
			defer func() { <-sem; close(sl.done) }()
			sl.err = w.slice(ctx, s, lo, hi, sl.add)
			return sl.err
		})
		return nil
	}
	var prev *sample
	lo := from
	for s := range samples {
		if prev != nil {
			hi := latest(secondStamp(s.items), lastStamp(*prev), lo)
			if hi.After(to) {
				hi = to
			}
			if err := start(*prev, lo, hi); err != nil {
				return err
			}
			lo = hi
		}
		prev = &s
	}
	if prev == nil {
		return nil
	}
	return start(*prev, lo, to)
}

// slice reads the records of [lo, hi) into add: those its sample holds
// complete, then the rest as a window.
func (w *walk) slice(ctx context.Context, s sample, lo, hi time.Time, add func(topo.Exclusion)) error {
	end := lastStamp(s)
	if s.last {
		end = hi
	}
	for _, ex := range s.items {
		if !ex.CreatedAt.Before(lo) && ex.CreatedAt.Before(end) && ex.CreatedAt.Before(hi) && w.keep(ex) {
			add(ex)
		}
	}
	rest := latest(end, lo)
	if !rest.Before(hi) {
		return nil
	}
	return w.window(ctx, rest, hi, 0, rest.Equal(end), func(ex topo.Exclusion) error {
		add(ex)
		return nil
	})
}

// secondStamp is the first stamp of a sample page after its first one:
// where the records it holds complete begin (its first stamp's may
// begin on the page before). A page of one stamp holds none complete.
func secondStamp(items []topo.Exclusion) time.Time {
	first := items[0].CreatedAt
	if i := slices.IndexFunc(items, func(ex topo.Exclusion) bool { return ex.CreatedAt.After(first) }); i >= 0 {
		return items[i].CreatedAt
	}
	return first.Add(time.Nanosecond)
}

// lastStamp is where a sample's complete records end: its last stamp
// (whose records may go on past the page).
func lastStamp(s sample) time.Time { return s.items[len(s.items)-1].CreatedAt }

func latest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// within says a page's records lie in [from, to] as widened for a server
// that reads bounds in whole seconds.
func within(items []topo.Exclusion, from, to time.Time) bool {
	for _, ex := range items {
		if !from.IsZero() && ex.CreatedAt.Before(from.Add(-time.Nanosecond).Truncate(time.Second)) || ex.CreatedAt.After(to.Add(time.Second)) {
			return false
		}
	}
	return true
}
