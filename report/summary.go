package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
)

// Summary is the run's totals: printed for people at the end and, with
// --summary, written as JSON for schedulers and scripts.
type Summary struct {
	Command   string `json:"command"`
	Input     string `json:"input"`
	Encoding  string `json:"encoding"`
	Delimiter string `json:"delimiter,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	// Kind is contacts or accounts.
	Kind     string                  `json:"kind"`
	Rows     int                     `json:"rows"`
	Counts   map[importer.Status]int `json:"counts"`
	Report   string                  `json:"report"`
	Failures string                  `json:"failures"`
	// FailureRows is how many rows the failures file holds.
	FailureRows    int      `json:"failure_rows"`
	Warnings       []string `json:"warnings"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	RowsPerSecond  float64  `json:"rows_per_second"`
	// Send is filled by an import that sends; absent in a dry run.
	Send     *SendSummary `json:"send,omitempty"`
	ExitCode int          `json:"exit_code"`
	// Stopped says why an import stopped early, if it did.
	Stopped string `json:"stopped,omitempty"`
}

// SendSummary is what sending took.
type SendSummary struct {
	BaseURL string `json:"base_url"`
	// Requests counts create attempts, Lookups list-endpoint checks.
	Requests int64 `json:"requests"`
	Lookups  int64 `json:"lookups"`
	Retries  int64 `json:"retries"`
	// Throttled counts answers with status 429.
	Throttled int64 `json:"throttled_429"`
	// RequestsPerSecond is the achieved pace of create attempts.
	RequestsPerSecond float64 `json:"requests_per_second"`
	// FinalRate is the pacer's rate at the end, after adapting; 0 when
	// unlimited (--rate 0 and no 429 seen).
	FinalRate float64 `json:"final_rate"`
}

// NewSummary returns a summary with every status counted at zero, so the
// JSON always has the same keys.
func NewSummary(command, input string) *Summary {
	s := &Summary{Command: command, Input: input, Counts: map[importer.Status]int{}, Warnings: []string{}}
	for _, st := range importer.Statuses {
		s.Counts[st] = 0
	}
	return s
}

// Add counts one outcome.
func (s *Summary) Add(o importer.Outcome) {
	s.Rows++
	s.Counts[o.Status]++
	if o.Status.NeedsAction() {
		s.FailureRows++
	}
}

// Finish records how long the run took and its exit code.
func (s *Summary) Finish(elapsed time.Duration, exitCode int) {
	s.ElapsedSeconds = elapsed.Seconds()
	if elapsed > 0 {
		s.RowsPerSecond = float64(s.Rows) / elapsed.Seconds()
	}
	s.ExitCode = exitCode
}

// WriteJSON writes the summary as one indented JSON object.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes the summary for a person: what was read, how, and
// where the reports are.
func (s *Summary) WriteText(w io.Writer) error {
	var parts []string
	for _, st := range importer.Statuses {
		if n := s.Counts[st]; n > 0 || st == importer.StatusInvalid {
			parts = append(parts, fmt.Sprintf("%s %s", group(n), st))
		}
	}
	var b strings.Builder
	how := fmt.Sprintf("%s, delimiter %q", s.Encoding, s.Delimiter)
	switch {
	case s.Sheet != "":
		how = fmt.Sprintf("%s, sheet %q", s.Encoding, s.Sheet)
	case s.Delimiter == "tab":
		how = s.Encoding + ", delimiter tab"
	}
	if s.Kind == importer.KindAccounts.String() {
		how += "; account exclusions by domain"
	}
	fmt.Fprintf(&b, "%s: %s rows (%s) in %.1fs: %s\n",
		s.Command, group(s.Rows), how, s.ElapsedSeconds, strings.Join(parts, ", "))
	if s.Command == "plan" {
		fmt.Fprintf(&b, "plan:     would create %s, already excluded %s, invalid %s\n",
			group(s.Counts[importer.StatusWouldCreate]), group(s.Counts[importer.StatusExists]), group(s.Counts[importer.StatusInvalid]))
	} else if s.Send != nil {
		fmt.Fprintf(&b, "sent:     %s requests (%.1f/s), %s retries, %s answered 429, %s lookups\n",
			group(int(s.Send.Requests)), s.Send.RequestsPerSecond, group(int(s.Send.Retries)),
			group(int(s.Send.Throttled)), group(int(s.Send.Lookups)))
	}
	if s.Stopped != "" {
		fmt.Fprintf(&b, "stopped:  %s\n", s.Stopped)
	}
	fmt.Fprintf(&b, "report:   %s\n", s.Report)
	need := "rows need"
	if s.FailureRows == 1 {
		need = "row needs"
	}
	fmt.Fprintf(&b, "failures: %s (%s %s action)\n", s.Failures, group(s.FailureRows), need)
	_, err := io.WriteString(w, b.String())
	return err
}

// DelimiterName spells a delimiter so that a tab is visible.
func DelimiterName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

// group writes n with thousands separators.
func group(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Set sends each outcome to the report, the failures file, the summary
// and, when there is one, the progress display.
type Set struct {
	Report   *Writer
	Failures *Failures
	Summary  *Summary
	Progress Progress
}

// Record writes one outcome everywhere it belongs.
func (s *Set) Record(o importer.Outcome) error {
	s.Summary.Add(o)
	if s.Progress != nil {
		s.Progress.Add(o)
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
