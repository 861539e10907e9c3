// Package slab allocates large, pointer-free arrays outside the Go heap.
//
// A duplicate set of ten million keys or a workbook's shared strings are
// most of a run's live memory. On the heap, the garbage collector lets the
// heap grow to twice what is live before it collects, so such a table
// costs twice its size in RSS. Mapped outside the heap it costs its size,
// and is returned to the system the moment it is freed.
package slab

import "unsafe"

// smallBytes is the size below which an array stays on the heap, where a
// mapping's page granularity would waste more than it saves. It is small:
// a set's shards start small and grow, and every table they outgrow on
// the heap stays in RSS as garbage until the collector and the scavenger
// get to it (at 256 KiB that was 9 of 24 bytes a key at 10 million keys;
// at 8 KiB, under 1).
const smallBytes = 8 << 10

// Uint64s returns a zeroed array of n uint64s and the function that frees it.
func Uint64s(n int) ([]uint64, func()) {
	b, free := alloc(n * 8)
	if n == 0 {
		return nil, free
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n), free
}

// Uint32s returns a zeroed array of n uint32s and the function that frees it.
func Uint32s(n int) ([]uint32, func()) {
	b, free := alloc(n * 4)
	if n == 0 {
		return nil, free
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n), free
}

// Bytes returns a zeroed array of n bytes and the function that frees it.
func Bytes(n int) ([]byte, func()) { return alloc(n) }
