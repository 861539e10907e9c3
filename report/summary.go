package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// Summary is the run's totals: printed for people at the end and, with
// --summary, written as JSON for schedulers and scripts. It is written on
// every way a run can end, setup errors and interruptions included.
type Summary struct {
	Command string `json:"command"`
	// Status is how the run ended: completed, stopped (aborted, or the
	// outputs could not be written), interrupted, or failed (nothing was
	// read or sent: a usage or setup error).
	Status   string    `json:"status"`
	ExitCode int       `json:"exit_code"`
	Started  time.Time `json:"started_at"`
	Finished time.Time `json:"finished_at"`
	// Error is what ended the run early, if anything did; Resume says how
	// to go on.
	Error  string `json:"error,omitempty"`
	Resume string `json:"resume,omitempty"`

	// Workspace is the Topo workspace the key belongs to (organization id,
	// or "key:" and a hash of the key where /v1/me is missing); KeyPrefix
	// the key's prefix as Topo shows it (never the key).
	Workspace string `json:"workspace,omitempty"`
	KeyPrefix string `json:"key_prefix,omitempty"`

	Input     string `json:"input"`
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	// Kind is contacts or accounts.
	Kind string `json:"kind,omitempty"`
	// Columns says which column of the input became which field (field:
	// the header as written), by name or by --map; NotRead lists the
	// columns no field took (not sent; kept in the failures file).
	Columns map[string]string `json:"columns,omitempty"`
	NotRead []string          `json:"columns_not_read,omitempty"`
	Rows    int               `json:"rows"`
	// ConvertedDomains counts the rows whose email domain was written in
	// Unicode (münchen.de) and is sent, and compared, in ASCII; DomainForm
	// says which form that is.
	ConvertedDomains int                 `json:"converted_domains,omitempty"`
	DomainForm       string              `json:"domain_form,omitempty"`
	Counts           map[rows.Status]int `json:"counts"`
	// FailureRows is how many rows the failures file holds.
	FailureRows int `json:"failure_rows"`
	// Report and Failures are where those went; Paths lists every output.
	Report   string `json:"report"`
	Failures string `json:"failures"`
	Paths    Paths  `json:"paths"`
	// Kept names the report and failures file this run replaced, kept one
	// generation as NAME.prev: a rerun never loses the proof.
	Kept []string `json:"kept,omitempty"`
	// Partial says the outputs were cut short (a third signal): they sit
	// under names that say so, and Missing says what they lack.
	Partial bool   `json:"partial,omitempty"`
	Missing string `json:"missing,omitempty"`

	Warnings       []string `json:"warnings"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	RowsPerSecond  float64  `json:"rows_per_second"`
	// Outreach is what the run found of the people on the list still
	// running in Topo's sequences (--sequences), when it looked.
	Outreach *OutreachSummary `json:"outreach,omitempty"`

	// Lifted lists the opt-outs this run lifted (--lift-optouts), the
	// first maxLifts of them; LiftedRows counts them all.
	Lifted     []Lift `json:"lifted,omitempty"`
	LiftedRows int    `json:"lifted_rows,omitempty"`

	// Send is filled by a run that talks to Topo; Snapshot when it loaded
	// Topo's list to decide rows locally.
	Send     *SendSummary     `json:"send,omitempty"`
	Snapshot *SnapshotSummary `json:"snapshot,omitempty"`
	// Settings are what the run was asked to do (never the key).
	Settings map[string]string `json:"settings,omitempty"`

	// settledLocally counts valid rows settled without a request.
	settledLocally int
}

// Paths are a run's outputs and durable files ("" when there is none).
type Paths struct {
	Report   string `json:"report,omitempty"`
	Failures string `json:"failures,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Metrics  string `json:"metrics,omitempty"`
	HTML     string `json:"html,omitempty"`
	Journal  string `json:"journal,omitempty"`
	State    string `json:"state,omitempty"`
}

// OutreachSummary counts what a run found of people still being
// contacted: rows by outreach state, the running sequences met, those
// stopped, and (plan) those an import with --sequences stop would stop.
type OutreachSummary struct {
	Mode      string         `json:"mode"`
	People    map[string]int `json:"people"`
	Running   int            `json:"sequences_running"`
	Stopped   int            `json:"sequences_stopped"`
	WouldStop int            `json:"would_stop"`
}

// Lift is an opt-out a run lifted: the row, the record, and how.
type Lift struct {
	Row int    `json:"row"`
	ID  string `json:"id"`
	How string `json:"how"`
}

// maxLifts bounds the lifts a summary lists one by one.
const maxLifts = 1000

// SendSummary is what talking to Topo took.
type SendSummary struct {
	BaseURL string `json:"base_url"`
	// Requests counts every request; ByOp splits it (create, update,
	// delete, lookup, page, check…); ByStatus by HTTP status.
	Requests int64            `json:"requests"`
	ByOp     map[string]int64 `json:"by_op"`
	ByStatus map[string]int64 `json:"by_status"`
	// Retries counts writes sent again; LookupRetries reads (lookups,
	// pages, the key check), which have a budget of their own.
	Retries       int64 `json:"retries"`
	LookupRetries int64 `json:"lookup_retries"`
	// Throttled counts answers with status 429.
	Throttled int64 `json:"throttled_429"`
	// RowsWithoutRequest counts valid rows settled without a request of
	// this run (by the snapshot, the journal or the state).
	RowsWithoutRequest int     `json:"rows_without_request"`
	RequestsPerSecond  float64 `json:"requests_per_second"`
	// FinalRate is the pace at the end, after adapting (0: unlimited);
	// Concurrency the requests allowed in flight at the end.
	FinalRate   float64 `json:"final_rate"`
	Concurrency int     `json:"concurrency"`
	// RateLimit is Topo's limit as the run found it (0: it found none);
	// RateLimitExact is false when it is only a rate Topo allowed, the run
	// having ended before it met a 429.
	RateLimit      float64 `json:"rate_limit_found,omitempty"`
	RateLimitExact bool    `json:"rate_limit_exact,omitempty"`
	// ClimbSeconds is how long --rate auto climbed before it met the
	// limit (0: it did not climb: it started from a limit learnt before,
	// or was given a number).
	ClimbSeconds float64 `json:"rate_limit_climb_seconds,omitempty"`
	// DuplicatesSeen counts rows for which Topo was seen holding more than
	// one record (a server that does not enforce uniqueness, after an
	// attempt whose answer was lost took effect late): each row's note
	// names the records.
	DuplicatesSeen int `json:"duplicates_seen"`
	// Latency percentiles of answered requests, in milliseconds.
	LatencyP50 float64 `json:"latency_p50_ms"`
	LatencyP90 float64 `json:"latency_p90_ms"`
	LatencyP99 float64 `json:"latency_p99_ms"`
}

// SnapshotSummary says what loading Topo's list cost and settled.
type SnapshotSummary struct {
	Records  int   `json:"records"`
	Requests int64 `json:"requests"`
	Bytes    int64 `json:"index_bytes"`
}

// NewSummary returns a summary with every status counted at zero, so the
// JSON always has the same keys.
func NewSummary(command, input string, started time.Time) *Summary {
	s := &Summary{Command: command, Input: input, Started: started, Counts: map[rows.Status]int{}, Warnings: []string{}}
	for _, st := range rows.Statuses {
		s.Counts[st] = 0
	}
	return s
}

// Add counts one outcome.
func (s *Summary) Add(o rows.Outcome) {
	s.Rows++
	s.Counts[o.Status]++
	if o.NeedsAction() {
		s.FailureRows++
	}
	if o.Row.Status == rows.StatusValid && o.Attempts == 0 && o.Status != rows.StatusNotAttempted && o.Status != rows.StatusValid {
		s.settledLocally++
	}
	if st := o.Outreach.State; st != "" {
		if s.Outreach == nil {
			s.Outreach = &OutreachSummary{People: map[string]int{}}
		}
		s.Outreach.People[st]++
	}
	if o.Lifted != "" {
		if s.LiftedRows++; len(s.Lifted) < maxLifts {
			s.Lifted = append(s.Lifted, Lift{Row: o.Row.Num, ID: o.ID, How: o.Lifted})
		}
	}
}

// RowsWithoutRequest is how many valid rows were settled without a
// request of this run.
func (s *Summary) RowsWithoutRequest() int { return s.settledLocally }

// Finish records when and how the run ended.
func (s *Summary) Finish(finished time.Time, exitCode int, status string) {
	s.Finished = finished
	elapsed := finished.Sub(s.Started)
	s.ElapsedSeconds = elapsed.Seconds()
	if elapsed > 0 {
		s.RowsPerSecond = float64(s.Rows) / elapsed.Seconds()
	}
	s.ExitCode, s.Status = exitCode, status
}

// ColumnOrder is the order fields are listed in: the dashboard's.
var ColumnOrder = []string{"email", "linkedin_url", "domain", "reason", "message", "until", "id", "maybe_sent", "source_row"}

// WriteJSON writes the summary as one indented JSON object.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Set sends each outcome to the report, the failures file, the summary
// and the run page's collector, in input order. (Progress is counted
// where rows settle, in whatever order they do.)
type Set struct {
	Report   *Writer
	Failures *Failures
	Summary  *Summary
	Errors   *ErrorGroups
}

// Record writes one outcome everywhere it belongs.
func (s *Set) Record(o rows.Outcome) error {
	s.Summary.Add(o)
	if s.Errors != nil {
		s.Errors.Add(o)
	}
	if err := s.Report.Write(o); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := s.Failures.Write(o); err != nil {
		return fmt.Errorf("writing the failures file: %w", err)
	}
	return nil
}

// Flush writes out both files' buffers.
func (s *Set) Flush() error {
	if err := s.Report.Flush(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := s.Failures.Flush(); err != nil {
		return fmt.Errorf("writing the failures file: %w", err)
	}
	return nil
}
