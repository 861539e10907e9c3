package input

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
)

// Hashed reads through r and hashes every byte that passes: the
// fingerprint of what was actually read, computed while reading, so that
// what a run sent can be tied to exactly those bytes.
type Hashed struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	eof bool
}

// NewHashed hashes what is read from r (SHA-256).
func NewHashed(r io.Reader) *Hashed { return &Hashed{r: r, h: sha256.New()} }

// Read reads from the underlying reader and hashes what it returned.
func (h *Hashed) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if errors.Is(err, io.EOF) {
		h.eof = true
	}
	return n, err
}

// Sum is the hash of the bytes read so far, as "sha256:" and hex digits.
func (h *Hashed) Sum() string { return "sha256:" + hex.EncodeToString(h.h.Sum(nil)) }

// Len counts the bytes read so far.
func (h *Hashed) Len() int64 { return h.n }

// AtEOF says whether the underlying reader reported its end: only then is
// Sum the hash of all of it.
func (h *Hashed) AtEOF() bool { return h.eof }
