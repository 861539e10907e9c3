package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
)

// durable is what makes an import resumable and reruns safe: the locks,
// the journal, the cron state, and a spooled copy of standard input.
type durable struct {
	locks   []*importer.Lock
	journal *importer.Journal
	state   *importer.State
	spool   *os.File
	stop    chan struct{}
}

// errCompleted ends a run whose input was already imported to the end.
var errCompleted = errors.New("already completed")

// openDurable takes the run's locks, fingerprints the input, and opens the
// journal and the state. It returns errCompleted (after saying so) when
// the journal says this input and these settings were already imported.
func openDurable(env *environment, path string, rf *readFlags, sf *sendFlags, log *slog.Logger) (*durable, error) {
	d := &durable{stop: make(chan struct{})}
	jpath := orDefault(sf.journal, defaultJournal(path, rf.report))
	for _, p := range []string{jpath, sf.state} {
		if p == "" {
			continue
		}
		l, err := importer.TryLock(p + ".lock")
		if err != nil {
			d.close()
			var locked *importer.LockedError
			if errors.As(err, &locked) {
				return nil, usagef("%v", err)
			}
			return nil, &importer.SetupError{Err: err}
		}
		d.locks = append(d.locks, l)
	}
	input, err := d.inputHash(env, path)
	if err != nil {
		d.close()
		return nil, err
	}
	fp := importer.Fingerprint{Input: input, Settings: settingsHash(rf, sf)}
	j, st, err := importer.OpenJournal(jpath, fp, sf.force)
	if err != nil {
		d.close()
		return nil, &importer.SetupError{Err: fmt.Errorf("journal %s: %w", jpath, err)}
	}
	d.journal = j
	switch st {
	case importer.JournalCompleted:
		when, report := j.Completed()
		fmt.Fprintf(env.stderr, "import: %s was already imported to the end on %s (journal %s); its report is %s. Nothing sent. Use --force to import it again.\n",
			displayName(path), when, jpath, report)
		d.close()
		return nil, errCompleted
	case importer.JournalOther:
		log.Warn("the journal was for another input or other settings: moved aside, starting fresh", "journal", jpath, "moved_to", jpath+".prev")
	case importer.JournalResumed:
		settled, unsure := j.Resumed()
		log.Info("resuming an interrupted import", "journal", jpath, "rows_settled", settled, "rows_to_check", unsure)
	}
	if n := j.Corrupt(); n > 0 {
		log.Warn("skipped unreadable journal lines", "journal", jpath, "lines", n)
	}
	if sf.state != "" {
		if d.state, err = importer.OpenState(sf.state); err != nil {
			d.close()
			return nil, &importer.SetupError{Err: fmt.Errorf("state %s: %w", sf.state, err)}
		}
		log.Info("state loaded", "state", sf.state, "keys", d.state.Len())
		go d.syncState()
	}
	return d, nil
}

// defaultJournal puts the journal beside the report: list.csv →
// list.journal, or --report out/x.report.csv → out/x.journal.
func defaultJournal(input, report string) string {
	if report != "" && report != "-" {
		return strings.TrimSuffix(strings.TrimSuffix(report, ".csv"), ".report") + ".journal"
	}
	return defaultOutput(input, ".journal")
}

// inputHash hashes the input's bytes. Standard input is spooled to a
// temporary file on the way, which the run then reads: only so can the
// same bytes piped again be recognised, and the run resumed.
func (d *durable) inputHash(env *environment, path string) (string, error) {
	h := sha256.New()
	if path == "-" {
		f, err := os.CreateTemp("", "topo-exclusions-stdin-*")
		if err != nil {
			return "", err
		}
		d.spool = f
		if _, err := io.Copy(io.MultiWriter(f, h), env.stdin); err != nil {
			return "", fmt.Errorf("reading standard input: %w", err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		env.stdin = f
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", &importer.SetupError{Err: err}
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", &importer.SetupError{Err: err}
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// settingsHash covers what changes which rows are sent and how.
func settingsHash(rf *readFlags, sf *sendFlags) string {
	maps := slices.Clone([]string(rf.maps))
	slices.Sort(maps)
	s := strings.Join([]string{sf.baseURL, rf.encoding, rf.delimiter, rf.sheet, rf.kind, strings.ToUpper(rf.defaultReason), strings.Join(maps, "\x00")}, "\x1f")
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// syncState makes the state durable on the journal's rhythm.
func (d *durable) syncState() {
	t := time.NewTicker(importer.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = d.state.Sync()
		case <-d.stop:
			return
		}
	}
}

// ledger and known return the pool's view of the journal and state (nil
// interfaces when absent).
func (d *durable) ledger() importer.Ledger { return d.journal }

func (d *durable) known() importer.Known {
	if d.state == nil {
		return nil
	}
	return d.state
}

// discard ends a run that stopped at a setup error: a journal it created
// and never used is removed, then everything is closed.
func (d *durable) discard() {
	if d.journal != nil {
		_ = d.journal.Discard()
		d.journal = nil
	}
	_ = d.close()
}

// close syncs and closes everything, then releases the locks.
func (d *durable) close() error {
	var errs []error
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	if d.journal != nil {
		errs = append(errs, d.journal.Close())
	}
	if d.state != nil {
		errs = append(errs, d.state.Close())
	}
	if d.spool != nil {
		d.spool.Close()
		os.Remove(d.spool.Name())
	}
	for _, l := range d.locks {
		errs = append(errs, l.Unlock())
	}
	d.journal, d.state, d.spool, d.locks = nil, nil, nil, nil
	return errors.Join(errs...)
}
