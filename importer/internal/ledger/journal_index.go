package ledger

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/topo-io/topo-exclusions/internal/slab"
)

// settledIndex says where in the journal the outcome of each row an
// earlier run settled begins: 16 bytes a row, outside the Go heap. The
// outcome itself is read back from the journal when its row comes up
// (see Journal.Settled). Kept as Go values, a million outcomes took over
// a gigabyte; as offsets they take 16 MB.
type settledIndex struct {
	e    []offset
	n    int
	free func()
}

// offset is a row and where its outcome line starts.
type offset struct{ row, at uint64 }

// add notes that the outcome of row starts at at. Later lines of one row
// win over earlier ones, as reading the journal in order would decide.
func (x *settledIndex) add(row int, at int64) {
	if x.n == len(x.e) {
		x.grow()
	}
	x.e[x.n] = offset{uint64(row), uint64(at)}
	x.n++
}

func (x *settledIndex) grow() {
	c := max(4096, 2*len(x.e))
	// A slab of uint64s holds the pairs: the same layout, and the memory
	// goes back to the system when the index outgrows it.
	u, free := slab.Uint64s(2 * c)
	e := unsafe.Slice((*offset)(unsafe.Pointer(&u[0])), c)
	n := copy(e, x.e[:x.n])
	x.release()
	x.e, x.n, x.free = e, n, free
}

// seal sorts the index by row and keeps the last outcome of each (file
// order is offset order).
func (x *settledIndex) seal() {
	e := x.e[:x.n]
	byRow := func(a, b offset) int {
		if c := cmp.Compare(a.row, b.row); c != 0 {
			return c
		}
		return cmp.Compare(a.at, b.at)
	}
	if !slices.IsSortedFunc(e, byRow) {
		slices.SortFunc(e, byRow)
	}
	w := 0
	for i := range e {
		if i+1 < len(e) && e[i+1].row == e[i].row {
			continue
		}
		e[w] = e[i]
		w++
	}
	x.n = w
}

// find returns where row's outcome starts.
func (x *settledIndex) find(row int) (int64, bool) {
	e := x.e[:x.n]
	i, ok := slices.BinarySearchFunc(e, uint64(row), func(o offset, r uint64) int { return cmp.Compare(o.row, r) })
	if !ok {
		return 0, false
	}
	return int64(e[i].at), true
}

func (x *settledIndex) len() int { return x.n }

// release gives the memory back; the index is then empty.
func (x *settledIndex) release() {
	if x.free != nil {
		x.free()
	}
	x.e, x.n, x.free = nil, 0, nil
}

// lineReader reads lines of the journal back by where they start,
// through a block kept from the last read: rows come up in input order
// and their outcomes were written in nearly that order, so one read
// serves hundreds of them.
type lineReader struct {
	block []byte
	start int64 // where block starts in the file
}

// errNoLine is a line that does not end where the journal was read to.
var errNoLine = errors.New("no complete line there")

// lineAt returns the line (without its newline) starting at off in r,
// which holds limit bytes of complete lines.
func (lr *lineReader) lineAt(r interface {
	ReadAt([]byte, int64) (int, error)
}, off, limit int64) ([]byte, error) {
	if off < 0 || off >= limit {
		return nil, errNoLine
	}
	if line, ok := lr.cached(off); ok {
		return line, nil
	}
	size := 64 << 10
	for {
		size = int(min(int64(size), limit-off))
		if cap(lr.block) < size {
			lr.block = make([]byte, size)
		}
		lr.block = lr.block[:size]
		n, err := r.ReadAt(lr.block, off)
		lr.block, lr.start = lr.block[:n], off
		if line, ok := lr.cached(off); ok {
			return line, nil
		}
		if n < size || off+int64(n) >= limit {
			if err == nil {
				err = errNoLine
			}
			return nil, fmt.Errorf("reading the journal at byte %d: %w", off, err)
		}
		size *= 2 // a line longer than the block
	}
}

func (lr *lineReader) cached(off int64) ([]byte, bool) {
	if off < lr.start || off >= lr.start+int64(len(lr.block)) {
		return nil, false
	}
	b := lr.block[off-lr.start:]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], true
	}
	return nil, false
}
