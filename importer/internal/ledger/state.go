package ledger

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sync"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/internal/keyset"
)

// State is the durable memory of a scheduled import: the emails and
// LinkedIn URLs that earlier runs created or found already excluded, kept
// as 64-bit hashes (8 bytes a key on disk, 12 in memory). A nightly job
// fed the full opt-out export sends only what is new.
//
// The file is a 16-byte header and then one little-endian hash per key,
// only ever appended to and synced at the end of a run (and with the
// journal's rhythm in between): a crash mid-write leaves a partial last
// record, which loading drops.
type State struct {
	path     string
	mu       sync.Mutex
	f        *os.File
	w        *bufio.Writer
	set      *keyset.Set
	err      error
	readOnly bool
	d        Durability
}

var stateMagic = [16]byte{'T', 'O', 'P', 'O', 'X', 'S', 'T', 'A', 'T', 'E', '1', '\n'}

// OpenState loads (or creates) the state file at path.
func OpenState(path string, d Durability) (*State, error) {
	f, err := openFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	s := &State{path: path, f: f, set: keyset.New(), d: d.withDefaults()}
	if err := s.load(); err != nil {
		f.Close()
		return nil, err
	}
	s.w = bufio.NewWriter(f)
	return s, nil
}

// ReadState loads the state file at path to answer Has, and never writes
// to it (plan uses it beside a running import). Add is a no-op.
func ReadState(path string) (*State, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &State{path: path, set: keyset.New(), readOnly: true}
	if _, err := s.read(f); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *State) load() error {
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		_, err := s.f.Write(stateMagic[:])
		if err == nil {
			err = s.d.Sync(s.f)
		}
		return err
	}
	size, err := s.read(s.f)
	if err != nil {
		return err
	}
	if err := s.f.Truncate(size); err != nil {
		return err
	}
	_, err = s.f.Seek(size, io.SeekStart)
	return err
}

// read loads the keys and returns the length of the whole records read.
func (s *State) read(f io.Reader) (int64, error) {
	r := bufio.NewReaderSize(f, 64<<10)
	var magic [16]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || magic != stateMagic {
		return 0, fmt.Errorf("%s is not a topo-exclusions state file", s.path)
	}
	size := int64(len(magic))
	var rec [8]byte
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break // a partial last record is a crash's: dropped by load
			}
			return 0, err
		}
		size += 8
		if h := binary.LittleEndian.Uint64(rec[:]); h != 0 {
			if _, ok := s.set.Lookup(h); !ok {
				s.set.Add(h, 0)
			}
		}
	}
	return size, nil
}

// stateHash is stable across runs and machines (FNV-1a), unlike the
// seeded hash of the in-run duplicate set.
func stateHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}

// Len is the number of keys known.
func (s *State) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set.Len()
}

// Has reports whether the row's email or LinkedIn URL is known.
func (s *State) Has(r rows.Row) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range r.Keys() {
		if _, ok := s.set.Lookup(stateHash(k.Value)); ok {
			return true
		}
	}
	return false
}

// Add remembers the row's keys.
func (s *State) Add(r rows.Row) error {
	if s.readOnly {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range r.Keys() {
		h := stateHash(k.Value)
		if _, ok := s.set.Lookup(h); ok {
			continue
		}
		s.set.Add(h, 0)
		var rec [8]byte
		binary.LittleEndian.PutUint64(rec[:], h)
		if s.err == nil {
			_, s.err = s.w.Write(rec[:])
		}
	}
	return s.err
}

// Sync makes what was added durable.
func (s *State) Sync() error {
	if s.readOnly {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.w.Flush()
	}
	if s.err == nil {
		s.err = s.d.Sync(s.f)
	}
	return s.err
}

// Close syncs and closes the file.
func (s *State) Close() error {
	if s.readOnly {
		return nil
	}
	err := s.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
