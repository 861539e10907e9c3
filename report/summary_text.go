package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// columnsLine says which column became which field, so that a NOTES
// column silently read as the message is seen: columns: "E-mail" → email.
func (s *Summary) columnsLine() string {
	if len(s.Columns) == 0 {
		return ""
	}
	var parts []string
	for _, f := range ColumnOrder {
		if h, ok := s.Columns[f]; ok {
			parts = append(parts, fmt.Sprintf("%q → %s", h, f))
		}
	}
	line := "columns:  " + strings.Join(parts, ", ")
	if m := s.Settings["map"]; m != "" {
		line += " (--map " + m + ")"
	}
	if len(s.NotRead) > 0 {
		line += "; not read: " + strings.Join(s.NotRead, ", ")
	}
	return line + "\n"
}

// WriteText writes the summary for a person: what was read, how, what
// came of it, and where the reports are.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	switch {
	case s.Command == "export":
		fmt.Fprintf(&b, "export: %s of %s written in %.1fs\n", Plural(s.Rows, "record"), s.Kind, s.ElapsedSeconds)
	case s.Rows > 0 || s.Encoding != "":
		var parts []string
		for _, st := range rows.Statuses {
			if n := s.Counts[st]; n > 0 || st == rows.StatusInvalid {
				parts = append(parts, fmt.Sprintf("%s %s", group(n), st))
			}
		}
		fmt.Fprintf(&b, "%s: %s (%s) in %.1fs: %s\n", s.Command, Plural(s.Rows, "row"), s.how(), s.ElapsedSeconds, strings.Join(parts, ", "))
	}
	if line := s.columnsLine(); line != "" {
		b.WriteString(line)
	}
	if line := s.commandLine(); line != "" {
		b.WriteString(line)
	}
	if s.Workspace != "" {
		key := ""
		if s.KeyPrefix != "" {
			key = ", key " + s.KeyPrefix + "…"
		}
		fmt.Fprintf(&b, "topo:     workspace %s%s\n", s.Workspace, key)
	}
	if s.Send != nil {
		fmt.Fprintf(&b, "requests: %s (%.1f/s), %s, %s answered 429; %s settled without a request\n",
			group(int(s.Send.Requests)), s.Send.RequestsPerSecond, Plural(int(s.Send.Retries), "retry"),
			group(int(s.Send.Throttled)), Plural(s.Send.RowsWithoutRequest, "row"))
		if l := s.Send.RateLimit; l > 0 {
			how := "Topo's limit found:"
			if !s.Send.RateLimitExact {
				how = "Topo allowed at least"
			}
			fmt.Fprintf(&b, "pace:     %s %.1f/s; ended at %.1f/s, at most %s in flight\n", how, l, s.Send.FinalRate, Plural(s.Send.Concurrency, "request"))
		}
		if n := s.Send.DuplicatesSeen; n > 0 {
			fmt.Fprintf(&b, "TWICE:    Topo holds more than one record for %s: each row's note names them\n", Plural(n, "row"))
		}
	}
	if o := s.Outreach; o != nil {
		b.WriteString(o.line())
	}
	if s.LiftedRows > 0 {
		fmt.Fprintf(&b, "LIFTED:   %s of opt-outs lifted (--lift-optouts): listed under \"lifted\" in the JSON summary and on the run page\n", Plural(s.LiftedRows, "row"))
	}
	if s.Error != "" {
		fmt.Fprintf(&b, "stopped:  %s\n", s.Error)
	}
	if s.Partial {
		fmt.Fprintf(&b, "PARTIAL:  %s\n", s.Missing)
	}
	if s.Report != "" && s.Command == "export" {
		fmt.Fprintf(&b, "output:   %s\n", s.Report)
	} else if s.Report != "" {
		fmt.Fprintf(&b, "report:   %s\n", s.Report)
	}
	if s.Failures != "" {
		need := "rows need"
		if s.FailureRows == 1 {
			need = "row needs"
		}
		fmt.Fprintf(&b, "failures: %s (%s %s action)\n", s.Failures, group(s.FailureRows), need)
	}
	if len(s.Kept) > 0 {
		fmt.Fprintf(&b, "kept:     %s (what this run replaced)\n", strings.Join(s.Kept, ", "))
	}
	if s.Resume != "" {
		fmt.Fprintf(&b, "resume:   %s\n", s.Resume)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (s *Summary) how() string {
	how := fmt.Sprintf("%s, delimiter %q", s.Encoding, s.Delimiter)
	switch {
	case s.Sheet != "":
		how = fmt.Sprintf("%s, sheet %q", s.Encoding, s.Sheet)
	case s.Delimiter == "tab":
		how = s.Encoding + ", delimiter tab"
	}
	if s.Kind == "accounts" {
		how += "; account exclusions by domain"
	}
	return how
}

// commandLine is the one line that says what the command did, in its
// own words.
func (s *Summary) commandLine() string {
	c := s.Counts
	switch s.Command {
	case "plan":
		return fmt.Sprintf("plan:     would create %s, would extend %s, would update %s, already excluded %s, excluded for less long %s, invalid %s\n",
			group(c[rows.StatusWouldCreate]), group(c[rows.StatusWouldExtend]), group(c[rows.StatusWouldUpdate]),
			group(c[rows.StatusExists]), group(c[rows.StatusExistsShorter]), group(c[rows.StatusInvalid]))
	case "plan --remove", "remove --dry-run":
		return fmt.Sprintf("plan:     would remove %s, not found %s, invalid %s\n",
			group(c[rows.StatusWouldRemove]), group(c[rows.StatusNotFound]), group(c[rows.StatusInvalid]))
	}
	return ""
}

// DelimiterName spells a delimiter so that a tab is visible.
func DelimiterName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

// Plural is "1 row", "2 rows", "1,234 rows" ("retry" makes "retries",
// "person" "people").
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if word == "person" {
		return group(n) + " people"
	}
	if strings.HasSuffix(word, "y") {
		return group(n) + " " + strings.TrimSuffix(word, "y") + "ies"
	}
	return group(n) + " " + word + "s"
}

// group writes n with thousands separators.
func group(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// line says what outreach found, in the operator's words.
func (o *OutreachSummary) line() string {
	p := o.People
	var parts []string
	if n := p["running"]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s on this list %s still in a running sequence (%s; --sequences stop stops them)",
			Plural(n, "person"), isAre(n), Plural(o.Running, "sequence")))
	}
	if n := p["stopped"]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s stopped for %s", Plural(o.Stopped, "sequence"), Plural(n, "person")))
	}
	if n := p["unknown"]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s may still be contacted: their sequences could not be checked or stopped (see the error column)", Plural(n, "person")))
	}
	if o.WouldStop > 0 {
		parts = append(parts, fmt.Sprintf("would stop %s", Plural(o.WouldStop, "sequence")))
	}
	if len(parts) == 0 && p["none"] == 0 {
		return "" // nobody's outreach was looked for
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("nobody on this list is in a running sequence (%s checked)", Plural(p["none"], "person")))
	}
	return "outreach: " + strings.Join(parts, "; ") + "\n"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
