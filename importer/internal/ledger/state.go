package ledger

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/internal/keyset"
)

// State is the durable memory of a scheduled import: the emails, LinkedIn
// URLs and domains that earlier runs against one workspace created or
// found already excluded, kept as 64-bit hashes (8 bytes a key on disk, 12
// in memory). A nightly job fed the full opt-out export sends only what is
// new. It is memory, not proof: rows it knows are reported known, and a
// removal of a person (by any run against the workspace) is written into
// it, so that the person listed again is sent again.
//
// The file is a 16-byte magic, the 8-byte hash of the workspace it belongs
// to, then records: a key's hash, or, for a key removed, a zero and then
// its hash. It is only ever appended to and synced at the end of a run
// (and with the journal's rhythm in between): a crash mid-write leaves a
// partial last record, which loading drops. A file of the first format
// (no workspace) is adopted by the first workspace that opens it.
type State struct {
	path      string
	name      string // the workspace, as the run knows it
	workspace uint64
	mu        sync.Mutex
	f         *os.File
	w         *bufio.Writer
	set       *keyset.Set
	err       error
	d         Durability
}

var (
	stateMagicV1 = [16]byte{'T', 'O', 'P', 'O', 'X', 'S', 'T', 'A', 'T', 'E', '1', '\n'}
	stateMagic   = [16]byte{'T', 'O', 'P', 'O', 'X', 'S', 'T', 'A', 'T', 'E', '2', '\n'}
)

// stateHeader is the magic and the workspace's hash.
const stateHeader = 16 + 8

// WorkspaceError is a state file kept for another workspace.
type WorkspaceError struct{ Path, Workspace string }

func (e *WorkspaceError) Error() string {
	return fmt.Sprintf("--state %s was kept by runs against another workspace than this key's (%s): another workspace is another Topo, whose people it says nothing of; give this one its own --state", e.Path, e.Workspace)
}

// Usage marks it a setup error: nothing was sent.
func (e *WorkspaceError) Usage() bool { return true }

// OpenState loads (or creates) the state file at path, for workspace.
func OpenState(path, workspace string, d Durability) (*State, error) {
	f, err := openFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	s := &State{path: path, name: workspace, workspace: stateHash(workspace), f: f, set: keyset.New(), d: d.withDefaults()}
	if err := s.load(workspace); err != nil {
		f.Close()
		s.set.Free()
		return nil, err
	}
	s.w = bufio.NewWriter(f)
	return s, nil
}

func (s *State) load(workspace string) error {
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return s.writeHeader()
	}
	size, v1, err := s.read(s.f)
	switch {
	case err != nil:
		return err
	case v1:
		return s.adopt(size)
	}
	if err := s.f.Truncate(size); err != nil {
		return err
	}
	_, err = s.f.Seek(size, io.SeekStart)
	return err
}

func (s *State) writeHeader() error {
	var h [stateHeader]byte
	copy(h[:], stateMagic[:])
	binary.LittleEndian.PutUint64(h[16:], s.workspace)
	_, err := s.f.Write(h[:])
	if err == nil {
		err = s.d.Sync(s.f)
	}
	return err
}

// StateTempPrefix names a state being rewritten (see adopt).
const StateTempPrefix = ".state-"

// adopt rewrites a first-format file (its size whole bytes read) under
// this workspace: a new file beside it, renamed over it.
func (s *State) adopt(size int64) error {
	tmp, err := CreateTemp(filepath.Dir(s.path), StateTempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	old := s.f
	s.f = tmp
	// fail leaves the old file in use, untouched.
	fail := func(err error) error {
		tmp.Close()
		s.f = old
		return fmt.Errorf("upgrading the state %s: %w", s.path, err)
	}
	if err := s.writeHeader(); err != nil {
		return fail(err)
	}
	// A copy cut short would leave a state that forgot what it held.
	if _, err := old.Seek(int64(len(stateMagicV1)), io.SeekStart); err != nil {
		return fail(err)
	}
	if _, err := io.CopyN(tmp, old, size-int64(len(stateMagicV1))); err != nil {
		return fail(err)
	}
	if err := s.d.Sync(tmp); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fail(err)
	}
	old.Close()
	_, err = tmp.Seek(0, io.SeekEnd)
	return err
}

// read loads the keys and returns the length of the whole records read,
// and whether the file is of the first format.
func (s *State) read(f io.Reader) (size int64, v1 bool, err error) {
	r := bufio.NewReaderSize(f, 64<<10)
	var magic [16]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || magic != stateMagic && magic != stateMagicV1 {
		return 0, false, fmt.Errorf("%s is not a topo-exclusions state file", s.path)
	}
	size, v1 = int64(len(magic)), magic == stateMagicV1
	if !v1 {
		var ws [8]byte
		if _, err := io.ReadFull(r, ws[:]); err != nil {
			return 0, false, fmt.Errorf("%s is not a topo-exclusions state file", s.path)
		}
		if binary.LittleEndian.Uint64(ws[:]) != s.workspace {
			return 0, false, &WorkspaceError{Path: s.path, Workspace: s.name}
		}
		size += 8
	}
	var rec [8]byte
	for {
		n, err := readRecord(r, rec[:])
		if err != nil {
			return size, v1, nil // a partial last record is a crash's: dropped by load
		}
		size += int64(n)
		switch h := binary.LittleEndian.Uint64(rec[:]); {
		case n == 16:
			s.set.Delete(h)
		default:
			if _, ok := s.set.Lookup(h); !ok {
				s.set.Add(h, 0)
			}
		}
	}
}

// readRecord reads one record into rec: a key (8 bytes read), or a removal
// (a zero, then the key: 16).
func readRecord(r io.Reader, rec []byte) (int, error) {
	if _, err := io.ReadFull(r, rec); err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint64(rec) != 0 {
		return 8, nil
	}
	if _, err := io.ReadFull(r, rec); err != nil {
		return 0, errors.Join(err, io.ErrUnexpectedEOF)
	}
	return 16, nil
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

// Has reports whether one of the row's keys is known.
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
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range r.Keys() {
		h := stateHash(k.Value)
		if _, ok := s.set.Lookup(h); ok {
			continue
		}
		s.set.Add(h, 0)
		s.write(h)
	}
	return s.err
}

// Remember records what an outcome says of its row: excluded (its keys
// are added) or no longer (a record removed, or none found: its keys are
// forgotten).
func (s *State) Remember(o rows.Outcome) error {
	switch {
	case o.Status.Excluded() && o.Status != rows.StatusKnown:
		return s.Add(o.Row)
	case o.Status == rows.StatusRemoved || o.Status == rows.StatusNotFound:
		return s.Forget(o.Row)
	}
	return nil
}

// States are the state files of every run against one Topo, for a
// removal: each removed person is forgotten in all of them. They answer
// no row (Has is false): a removal asks Topo.
type States []*State

// Has is always false: the states are only written.
func (States) Has(rows.Row) bool { return false }

// Remember forgets a removed row's keys in every state.
func (ss States) Remember(o rows.Outcome) error {
	if o.Status != rows.StatusRemoved && o.Status != rows.StatusNotFound {
		return nil
	}
	var errs []error
	for _, s := range ss {
		errs = append(errs, s.Forget(o.Row))
	}
	return errors.Join(errs...)
}

// Forget records that the row's keys are no longer excluded (a removal):
// a run that meets them again sends them.
func (s *State) Forget(r rows.Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range r.Keys() {
		h := stateHash(k.Value)
		if !s.set.Delete(h) {
			continue
		}
		s.write(0)
		s.write(h)
	}
	return s.err
}

func (s *State) write(h uint64) {
	var rec [8]byte
	binary.LittleEndian.PutUint64(rec[:], h)
	if s.err == nil {
		_, s.err = s.w.Write(rec[:])
	}
}

// Sync makes what was added durable.
func (s *State) Sync() error {
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
	err := s.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.set.Free()
	return err
}
