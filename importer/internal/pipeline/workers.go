package pipeline

import (
	"context"
	"sync"
)

// Workers bounds the rows being acted on at once: Max goroutines, of which
// Limit may act at a time. Limit can change while a run goes on, which is
// how --concurrency auto follows the pace Topo allows.
type Workers struct {
	max   int
	mu    sync.Mutex
	cond  *sync.Cond
	limit int
	busy  int
}

// NewWorkers returns a pool of size workers, limit of them active.
func NewWorkers(size, limit int) *Workers {
	w := &Workers{max: max(size, 1)}
	w.cond = sync.NewCond(&w.mu)
	w.limit = min(max(limit, 1), w.max)
	return w
}

// Max is the number of worker goroutines.
func (w *Workers) Max() int { return w.max }

// Limit is how many may act at once now.
func (w *Workers) Limit() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit
}

// SetLimit changes how many may act at once (within 1..Max).
func (w *Workers) SetLimit(n int) {
	w.mu.Lock()
	w.limit = min(max(n, 1), w.max)
	w.mu.Unlock()
	w.cond.Broadcast()
}

// Acquire waits for a turn to act; false when ctx ended first.
func (w *Workers) Acquire(ctx context.Context) bool {
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.cond.Broadcast()
	})
	defer stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.busy >= w.limit && ctx.Err() == nil {
		w.cond.Wait()
	}
	if ctx.Err() != nil {
		return false
	}
	w.busy++
	return true
}

// Release ends a turn.
func (w *Workers) Release() {
	w.mu.Lock()
	w.busy--
	w.mu.Unlock()
	w.cond.Broadcast()
}
