package ledger

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/pipeline"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// load reads an existing journal, streaming: it returns the length of
// its complete, well-formed prefix and its header (nil when there is
// none). Of the settled rows it keeps only where their outcomes are.
func (j *Journal) load() (int64, *journalLine, error) {
	f, err := openFile(j.path, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	var header *journalLine
	var valid int64
	err = eachLine(f, func(line []byte) {
		at := valid
		valid += int64(len(line)) + 1
		var l journalLine
		if parseLine(line, &l) != nil {
			// Whatever it said is lost: an intent, perhaps. Prior then
			// makes every row without an outcome "maybe sent".
			j.corrupt++
			return
		}
		switch {
		case l.AllUnsure:
			j.allUnsure = true
		case l.FP != nil:
			if header == nil {
				h := l // a copy: l itself stays on the stack, line after line
				header = &h
			}
		case l.Intent > 0 && l.Op == opCodes[api.OpStop]:
			j.intents++
			if _, ok := j.stops[l.Intent][l.ID]; !ok {
				j.noteStop(l.Intent, l.ID, "")
			}
		case l.Intent > 0:
			j.intents++
			j.unsure[l.Intent] = l.prior(j.unsure[l.Intent])
		case l.StopRow > 0:
			j.noteStop(l.StopRow, l.ID, l.Result)
		case l.Withdrawn > 0:
			delete(j.unsure, l.Withdrawn)
		case l.Row > 0:
			delete(j.unsure, l.Row)
			j.settled.add(l.Row, at)
		case l.Done != "":
			done := l
			j.done = &done
		}
	})
	j.settled.seal()
	if err != nil {
		j.settled.release()
		return 0, nil, fmt.Errorf("reading %s: %w", j.path, err)
	}
	if header == nil && valid > 0 {
		j.settled.release()
		return 0, nil, fmt.Errorf("%s is not a topo-exclusions journal", j.path)
	}
	return valid, header, nil
}

// eachLine calls f with each complete line of r, without its newline; a
// last line without one (torn by a crash) is left out. Lines are read
// through one buffer, whatever their number.
func eachLine(r io.Reader, f func(line []byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, chunk...)
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		line := chunk
		if len(long) > 0 {
			long = append(long, chunk...)
			line = long
		}
		f(line[:len(line)-1])
		long = long[:0]
	}
}

// prior is what this intent line, after earlier ones (was) of the same
// row, says may have been sent. A create's time is the earliest: a rerun
// that was killed too notes the row again, later than its first attempt.
func (l *journalLine) prior(was pipeline.Prior) pipeline.Prior {
	p := pipeline.Prior{MaybeSent: true, Op: opOf(l.Op), ID: l.ID, At: was.At}
	if l.At > 0 && p.Op == api.OpCreate && (p.At.IsZero() || time.UnixMilli(l.At).Before(p.At)) {
		p.At = time.UnixMilli(l.At)
	}
	if l.PrevSet {
		p.Previous = &rows.Previous{Reason: l.PrevRsn, Until: l.PrevUnt, Message: l.PrevMsg}
	}
	return p
}

func (l *journalLine) outcome() rows.Outcome {
	o := rows.Outcome{Status: l.Status, ID: l.ID, HTTPStatus: l.HTTP, ErrorType: l.ErrType,
		Err: l.Err, RequestID: l.Request, Attempts: l.Attempts, MaybeSent: l.Maybe, Lifted: l.Lifted, Note: l.Note}
	if l.HReason != "" {
		o.Held = &rows.Held{Email: l.HEmail, LinkedInURL: l.HLinked, Domain: l.HDomain, Reason: l.HReason, Until: l.HUntil, Message: l.HMsg}
	}
	if l.PrevSet {
		o.Previous = &rows.Previous{Reason: l.PrevRsn, Until: l.PrevUnt}
	}
	return o
}

// readFile reads a whole small file (a registry entry) without following
// a link at its end.
func readFile(path string) ([]byte, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// journalWrites says whether the journal at path can be read as one, and
// whether it noted any write: a run stopped before its first (a refused
// key, say) sent nothing to repeat. It stops at the first write.
func journalWrites(path string) (readable, writes bool) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return false, false
	}
	defer f.Close()
	first := true
	err = eachLine(f, func(line []byte) {
		if first {
			var l journalLine
			readable, first = parseLine(line, &l) == nil && l.FP != nil, false
		}
		writes = writes || bytes.HasPrefix(line, []byte(`{"i":`)) || bytes.HasPrefix(line, []byte(`{"o":`))
	})
	return readable && err == nil, writes
}
