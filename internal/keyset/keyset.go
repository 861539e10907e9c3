package keyset

import (
	"hash/maphash"
	"math"
	"math/bits"

	"github.com/topo-io/topo-exclusions/internal/slab"
)

// KeySet remembers which keys (normalised emails, LinkedIn URLs, domains,
// ids) a run has seen, and on which row. It keeps a 64-bit hash and a row
// number per key, 12 bytes, not the strings. Two different keys share a
// hash with a probability of about n²/2⁶⁵ (3·10⁻⁶ at ten million keys),
// the price of that compactness.
//
// It is built to stay flat at ten million keys: the tables live outside
// the Go heap (package slab), so the collector's headroom does not double
// them; they run at 93% load, which linear probing with Robin Hood order
// keeps quick; and the 256 shards start at sizes spread over one growth
// step, so they grow at different moments and the set as a whole stays
// near its average load. See BenchmarkKeySet for what it costs.
type Set struct {
	seed   maphash.Seed
	shards [keyShards]keyShard
	n      int
	sink   uint32 // what Prefetch reads goes here, so that it is read
}

const (
	keyShards   = 256
	keyShardMin = 64
	keyMaxLoad  = 0.93
	keyGrowth   = 1.25
	// keyDoubleBelow is the table size under which a shard doubles
	// instead: small tables are cheap to overshoot (all 256 at this size
	// hold 12 MiB), and each growth costs a mapping and an unmapping
	// (which interrupts every thread of the process), a fixed cost that
	// dominated while tables were small: at a million rows, doubling
	// took 12% off validate's CPU time and nothing off its peak.
	keyDoubleBelow = 4096
	// keySlack is the room after a table's last home slot, so that runs
	// never wrap round to its start; a run that would outgrow it grows
	// the table instead.
	keySlack = 128
)

// keyShard is one table, kept in the order of the keys' hashes (and so of
// their home slots, which are monotonic in the hash: Robin Hood's order).
// Slot i is slots[3i:3i+3], the hash's low and high halves and the row,
// packed so that one cache line serves both.
type keyShard struct {
	slots []uint32
	size  int // home slots; the table has keySlack more
	free  func()
	n     int
}

// NewKeySet returns an empty set with its own hash seed.
func New() *Set {
	return &Set{seed: maphash.MakeSeed()}
}

// Len is the number of keys in the set.
func (s *Set) Len() int { return s.n }

// Hash is the key's hash under this set's seed.
func (s *Set) Hash(key string) uint64 {
	h := maphash.String(s.seed, key)
	if h == 0 {
		h = 1
	}
	return h
}

// Lookup returns the row a key with this hash was first added on.
func (s *Set) Lookup(h uint64) (row int, ok bool) {
	sh := &s.shards[h>>56]
	if sh.size == 0 {
		return 0, false
	}
	if i, found := sh.find(h); found {
		return int(sh.slots[3*i+2]), true
	}
	return 0, false
}

// Prefetch reads where the key with hash h would be, so that a Lookup,
// Put or Add of it soon after finds that memory in the cache. Called for
// the keys of many rows before any of them is looked up, it lets the
// processor fetch them all at once instead of waiting for each in turn.
func (s *Set) Prefetch(h uint64) {
	sh := &s.shards[h>>56]
	if sh.size > 0 {
		s.sink += sh.slots[3*sh.home(h)]
	}
}

// Put records that the key with hash h appeared on row, unless it was
// there already: then it returns the row it first appeared on. One probe
// does both.
func (s *Set) Put(h uint64, row uint32) (first int, existed bool) {
	sh := &s.shards[h>>56]
	if sh.size > 0 {
		i, found := sh.find(h)
		if found {
			return int(sh.slots[3*i+2]), true
		}
		if sh.fits() && sh.insertAt(i, h, row) {
			s.n++
			return 0, false
		}
	}
	s.Add(h, row)
	return 0, false
}

// Add records that the key with hash h first appeared on row. It does not
// look for h first: call Lookup for that.
func (s *Set) Add(h uint64, row uint32) {
	sh := &s.shards[h>>56]
	for !sh.fits() || !sh.insert(h, row) {
		sh.grow(h >> 56)
	}
	s.n++
}

// Delete forgets the key with hash h (a removal the cron state records),
// and reports whether it was there. The keys after it that sit past their
// home slot move back one, so the table stays as if h had never been
// added.
func (s *Set) Delete(h uint64) bool {
	sh := &s.shards[h>>56]
	if sh.size == 0 {
		return false
	}
	i, found := sh.find(h)
	if !found {
		return false
	}
	j := i + 1
	for ; j < sh.size+keySlack; j++ {
		next := sh.hash(j)
		if next == 0 || sh.home(next) >= j {
			break
		}
	}
	copy(sh.slots[3*i:3*(j-1)], sh.slots[3*(i+1):3*j])
	sh.set(j-1, 0, 0)
	sh.n--
	s.n--
	return true
}

// Free releases the set's memory; the set must not be used after.
func (s *Set) Free() {
	for i := range s.shards {
		if f := s.shards[i].free; f != nil {
			f()
		}
	}
	*s = Set{}
}

func (sh *keyShard) fits() bool { return float64(sh.n+1) <= keyMaxLoad*float64(sh.size) }

func (sh *keyShard) hash(i int) uint64 {
	return uint64(sh.slots[3*i+1])<<32 | uint64(sh.slots[3*i])
}

func (sh *keyShard) set(i int, h uint64, row uint32) {
	sh.slots[3*i], sh.slots[3*i+1], sh.slots[3*i+2] = uint32(h), uint32(h>>32), row
}

// home maps h onto the table by its middle bits (the top byte chose the
// shard) with a multiply, so sizes need not be powers of two; it is
// monotonic in h<<8, the bits that differ within a shard.
func (sh *keyShard) home(h uint64) int {
	hi, _ := bits.Mul64(h<<8, uint64(sh.size))
	return int(hi)
}

// find probes for h from its home. It returns h's slot, or, when h is not
// there, where it belongs: the first free slot, or the first key that
// comes after h in the table's order.
func (sh *keyShard) find(h uint64) (slot int, found bool) {
	for i := sh.home(h); ; i++ {
		r := sh.hash(i)
		if r == h {
			return i, true
		}
		if r == 0 || r<<8 > h<<8 {
			return i, false
		}
	}
}

// insert puts h where it belongs; false when the run it joins would
// spill past the slack (the table must grow).
func (sh *keyShard) insert(h uint64, row uint32) bool {
	i, _ := sh.find(h)
	return sh.insertAt(i, h, row)
}

// insertAt puts h at slot i, where find said it belongs, moving the keys
// from there to the next free slot one slot on: a sorted insert, done
// with one copy.
func (sh *keyShard) insertAt(i int, h uint64, row uint32) bool {
	e := i
	for sh.slots[3*e] != 0 || sh.slots[3*e+1] != 0 {
		if e++; e == sh.size+keySlack {
			return false
		}
	}
	copy(sh.slots[3*i+3:3*e+3], sh.slots[3*i:3*e])
	sh.set(i, h, row)
	sh.n++
	return true
}

// grow moves the shard to a table a quarter larger (twice as large while
// it is small). A new shard starts at a size set by its index, spread
// over one growth step.
func (sh *keyShard) grow(index uint64) {
	size := int(float64(sh.size) * keyGrowth)
	if sh.size < keyDoubleBelow {
		size = 2 * sh.size
	}
	if sh.size == 0 {
		size = int(keyShardMin * math.Pow(keyGrowth, float64(index)/keyShards))
	}
	old := *sh
	for {
		sh.slots, sh.free = slab.Uint32s(3 * (size + keySlack))
		sh.size = size
		if sh.refill(&old) {
			break
		}
		sh.free() // a run spilled past the slack: larger still
		size = int(float64(size) * keyGrowth)
	}
	if old.free != nil {
		old.free()
	}
}

// refill moves the keys of an old table into this empty, larger one. The
// old keys come in hash order, which is the new table's order too: each
// goes to the first free slot at or after its home, a sequential merge
// instead of a probe per key.
func (sh *keyShard) refill(old *keyShard) bool {
	sh.n = old.n
	if old.size == 0 {
		return true
	}
	cursor := 0
	for i := range old.size + keySlack {
		if h := old.hash(i); h != 0 {
			pos := max(sh.home(h), cursor)
			if pos >= sh.size+keySlack {
				return false
			}
			sh.set(pos, h, old.slots[3*i+2])
			cursor = pos + 1
		}
	}
	return true
}

// Bytes is the memory the set's tables take.
func (s *Set) Bytes() int {
	n := 0
	for i := range s.shards {
		if s.shards[i].size > 0 {
			n += (s.shards[i].size + keySlack) * 12
		}
	}
	return n
}
