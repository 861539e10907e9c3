package importer

import (
	"hash/maphash"
	"math/bits"
)

// KeySet remembers which normalised emails and LinkedIn URLs a run has
// seen, and on which row. It keeps a 64-bit hash and a row number per key
// (12 bytes), not the strings: a million keys cost about 16 MiB. Two
// different keys share a hash with a probability of about n²/2⁶⁵ (3·10⁻⁸
// for a million keys), the price of that compactness.
//
// The table is split into shards that grow one at a time by half, so a
// growth step never holds two copies of the whole table.
type KeySet struct {
	seed   maphash.Seed
	shards [keyShards]keyShard
	n      int
}

const (
	keyShards   = 256
	keyShardMin = 64
)

type keyShard struct {
	hashes []uint64 // 0 marks a free slot
	rows   []uint32
	n      int
}

// NewKeySet returns an empty set with its own hash seed.
func NewKeySet() *KeySet {
	return &KeySet{seed: maphash.MakeSeed()}
}

// Free releases the set's memory; the set must not be used after.
func (s *KeySet) Free() { *s = KeySet{} }

// Len is the number of keys in the set.
func (s *KeySet) Len() int { return s.n }

// Hash is the key's hash under this set's seed.
func (s *KeySet) Hash(key string) uint64 {
	h := maphash.String(s.seed, key)
	if h == 0 {
		h = 1
	}
	return h
}

// Lookup returns the row a key with this hash was first added on.
func (s *KeySet) Lookup(h uint64) (row int, ok bool) {
	sh := &s.shards[h>>56]
	if len(sh.hashes) == 0 {
		return 0, false
	}
	for i := sh.slot(h); ; i = sh.nextSlot(i) {
		switch sh.hashes[i] {
		case h:
			return int(sh.rows[i]), true
		case 0:
			return 0, false
		}
	}
}

// Add records that the key with hash h first appeared on row. It does not
// look for h first: call Lookup for that.
func (s *KeySet) Add(h uint64, row uint32) {
	sh := &s.shards[h>>56]
	if (sh.n+1)*8 > len(sh.hashes)*7 {
		sh.grow()
	}
	sh.insert(h, row)
	s.n++
}

// slot maps h onto the table by its middle bits (the top byte chose the
// shard) with a multiply, so sizes need not be powers of two.
func (sh *keyShard) slot(h uint64) int {
	hi, _ := bits.Mul64(h<<8, uint64(len(sh.hashes)))
	return int(hi)
}

func (sh *keyShard) nextSlot(i int) int {
	if i++; i == len(sh.hashes) {
		return 0
	}
	return i
}

func (sh *keyShard) insert(h uint64, row uint32) {
	i := sh.slot(h)
	for sh.hashes[i] != 0 {
		i = sh.nextSlot(i)
	}
	sh.hashes[i], sh.rows[i] = h, row
	sh.n++
}

func (sh *keyShard) grow() {
	size := max(keyShardMin, len(sh.hashes)*3/2)
	old, oldRows := sh.hashes, sh.rows
	sh.hashes, sh.rows, sh.n = make([]uint64, size), make([]uint32, size), 0
	for i, h := range old {
		if h != 0 {
			sh.insert(h, oldRows[i])
		}
	}
}
