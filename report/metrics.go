package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// WriteMetrics writes the summary's figures in Prometheus' text format,
// for node_exporter's textfile collector: the last run's end, exit code,
// duration, rows by status, requests by operation, retries and 429s. The
// caller writes the file atomically, as the collector requires.
//
// It is written by hand: a dozen gauges in a stable, documented format do
// not need client_golang's registry and its dependencies.
func WriteMetrics(w io.Writer, s *Summary) error {
	b := bufio.NewWriter(w)
	cmd := `command="` + escapeLabel(s.Command) + `"`
	gauge := func(name, help string, samples ...sample) {
		fmt.Fprintf(b, "# HELP topo_exclusions_%s %s\n# TYPE topo_exclusions_%s gauge\n", name, help, name)
		for _, smp := range samples {
			labels := cmd
			if smp.label != "" {
				labels += "," + smp.label
			}
			fmt.Fprintf(b, "topo_exclusions_%s{%s} %s\n", name, labels, strconv.FormatFloat(smp.v, 'g', -1, 64))
		}
	}
	success := 0.0
	if s.ExitCode == 0 {
		success = 1
	}
	gauge("last_run_timestamp_seconds", "When the last run ended, in seconds since the Unix epoch.", sample{v: float64(s.Finished.UnixMilli()) / 1000})
	gauge("last_run_exit_code", "The last run's exit code (0 ok, 1 rows need action, 2 usage, 3 aborted, 4 stopped mid-run, 130 interrupted).", sample{v: float64(s.ExitCode)})
	gauge("last_run_success", "1 when the last run exited 0.", sample{v: success})
	gauge("last_run_duration_seconds", "How long the last run took.", sample{v: s.ElapsedSeconds})
	gauge("last_run_partial", "1 when the last run's outputs were cut short.", sample{v: boolFloat(s.Partial)})
	var byStatus []sample
	for _, st := range rows.Statuses {
		byStatus = append(byStatus, sample{label: `status="` + string(st) + `"`, v: float64(s.Counts[st])})
	}
	gauge("last_run_rows", "Rows of the last run, by status.", byStatus...)
	gauge("last_run_rows_need_action", "Rows of the last run that need action (the failures file).", sample{v: float64(s.FailureRows)})
	if o := s.Outreach; o != nil {
		// An alert on the first is what a compliance rule needs: people
		// Topo excludes who are still being contacted, or may be.
		var people []sample
		for _, st := range []string{rows.OutreachNone, rows.OutreachRunning, rows.OutreachStopped, rows.OutreachUnknown} {
			people = append(people, sample{label: `outreach="` + st + `"`, v: float64(o.People[st])})
		}
		gauge("last_run_people_outreach", "People of the last run's list by what was found of their running sequences (running and unknown need action).", people...)
		gauge("last_run_sequences_stopped", "Running sequences the last run stopped (--sequences stop).", sample{v: float64(o.Stopped)})
	}
	gauge("last_run_lifted_optouts", "Opt-outs the last run lifted (--lift-optouts).", sample{v: float64(s.LiftedRows)})
	if s.Send != nil {
		var reqs []sample
		ops := make([]string, 0, len(s.Send.ByOp))
		for op := range s.Send.ByOp {
			ops = append(ops, op)
		}
		slices.Sort(ops)
		for _, op := range ops {
			reqs = append(reqs, sample{label: `op="` + escapeLabel(op) + `"`, v: float64(s.Send.ByOp[op])})
		}
		gauge("last_run_requests", "Requests the last run sent to Topo, by operation.", reqs...)
		gauge("last_run_retries", "Requests the last run sent again.", sample{v: float64(s.Send.Retries)})
		gauge("last_run_throttled", "Answers with status 429 in the last run.", sample{v: float64(s.Send.Throttled)})
		gauge("last_run_final_rate", "The pace (requests per second) the last run ended at; 0 unlimited.", sample{v: s.Send.FinalRate})
	}
	return b.Flush()
}

type sample struct {
	label string
	v     float64
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}
