package ledger

import (
	"encoding/json"
	"fmt"
	"time"
)

// append writes one line to the buffer; j.mu must be held.
func (j *Journal) append(l journalLine) {
	b, _ := json.Marshal(l)
	if j.err == nil {
		_, j.err = j.w.Write(append(b, '\n'))
	}
	j.written++
}

// syncTo returns once line target is on disk. Callers arriving while a
// sync runs wait for it, and the next sync covers all of them at once.
func (j *Journal) syncTo(target uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < target && j.err == nil {
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.syncing = true
		upTo := j.written
		err := j.w.Flush()
		j.mu.Unlock()
		if err == nil {
			err = j.d.Sync(j.f)
		}
		j.mu.Lock()
		j.syncing = false
		if err != nil {
			j.err = fmt.Errorf("writing the journal %s: %w", j.path, err)
		} else {
			j.synced = max(j.synced, upTo)
		}
		j.cond.Broadcast()
	}
	return j.err
}

// syncLoop syncs what was appended every SyncEvery, so that outcomes,
// which Record does not wait for, are lost to a crash for at most that
// long.
func (j *Journal) syncLoop() {
	t := time.NewTicker(SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.mu.Lock()
			target := j.written
			j.mu.Unlock()
			_ = j.syncTo(target)
		case <-j.stop:
			return
		}
	}
}
