//go:build unix

package slab

import "syscall"

// alloc maps n bytes of anonymous memory: zeroed, and only the pages that
// are touched count towards RSS. Small arrays stay on the heap, where a
// mapping's page-sized granularity would cost more than the collector.
func alloc(n int) ([]byte, func()) {
	if n == 0 {
		return nil, func() {}
	}
	if n < smallBytes {
		return make([]byte, n), func() {}
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n), func() {} // no mapping left: the heap will do
	}

	return b, func() { _ = syscall.Munmap(b) }
}
