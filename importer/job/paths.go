package job

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/ledger"
)

// paths are where a run reads and writes.
type paths struct {
	report, failures, summary, metrics, html string
	journal, state                           string
}

// outputNames are the default names of a command's report and failures
// file, after the input's name without its extension: a dry run never
// takes an import's names, so it never overwrites an import's proof.
var outputNames = map[Command][2]string{
	Validate: {".validation.csv", ".validation.failures.csv"},
	Import:   {".report.csv", ".failures.csv"},
	Plan:     {".plan.csv", ".plan.failures.csv"},
	Remove:   {".removal.csv", ".removal.failures.csv"},
}

// resolvePaths fills in the defaults.
func resolvePaths(cfg *Config) paths {
	names := outputNames[cfg.Command]
	p := paths{
		report:   orDefault(cfg.Report, besideInput(cfg.Input, names[0])),
		failures: orDefault(cfg.Failures, besideInput(cfg.Input, names[1])),
		summary:  cfg.Summary, metrics: cfg.Metrics, html: cfg.HTML, state: cfg.State,
	}
	if cfg.Command.writes() {
		p.journal = orDefault(cfg.Journal, defaultJournal(cfg.Input, p.report, cfg.Command))
	}
	return p
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// besideInput names an output beside its input: list.csv → list.report.csv.
func besideInput(input, suffix string) string {
	if input == "-" {
		return "stdin" + suffix
	}
	return strings.TrimSuffix(input, filepath.Ext(input)) + suffix
}

// defaultJournal puts the journal beside the report: list.csv →
// list.journal, or --report out/x.report.csv → out/x.journal.
func defaultJournal(input, report string, cmd Command) string {
	suffix := ".journal"
	if cmd == Remove {
		suffix = ".removal.journal"
	}
	if report != "" && report != "-" {
		base := strings.TrimSuffix(report, ".csv")
		for _, s := range []string{".report", ".removal"} {
			base = strings.TrimSuffix(base, s)
		}
		return base + suffix
	}
	return besideInput(input, suffix)
}

// ClashError is two roles given one file.
type ClashError struct{ A, B, Path string }

func (e *ClashError) Error() string {
	return fmt.Sprintf("%s and %s name the same file (%s): each needs its own", e.A, e.B, e.Path)
}

// named is a path with the flag that set it.
type named struct{ flag, path string }

// checkDistinct refuses two roles for one file: the input, every output,
// the journal, the state and their locks are compared as absolute paths
// and, where they exist, as files (a link, a second name). At most one
// output may be standard output.
func checkDistinct(input string, p paths) error {
	all := []named{{"FILE", input}, {"--report", p.report}, {"--failures", p.failures}, {"--summary", p.summary},
		{"--metrics", p.metrics}, {"--html", p.html}, {"--journal", p.journal}, {"--state", p.state}}
	if p.journal != "" {
		all = append(all, named{"--journal's lock", p.journal + ".lock"}, named{"--journal's previous copy", p.journal + ".prev"})
	}
	if p.state != "" {
		all = append(all, named{"--state's lock", p.state + ".lock"})
	}
	var stdout []string
	for i, a := range all {
		if a.path == "" {
			continue
		}
		if a.path == "-" {
			if a.flag != "FILE" {
				stdout = append(stdout, a.flag)
			}
			continue
		}
		for _, b := range all[i+1:] {
			if b.path != "" && b.path != "-" && samePath(a.path, b.path) {
				return &ClashError{A: a.flag, B: b.flag, Path: a.path}
			}
		}
	}
	if len(stdout) > 1 {
		return Usagef("%s all write to standard output (-): at most one output may", strings.Join(stdout, " and "))
	}
	return nil
}

func samePath(a, b string) bool {
	if absA, errA := filepath.Abs(a); errA == nil {
		if absB, errB := filepath.Abs(b); errB == nil && absA == absB {
			return true
		}
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// guardProof refuses to let a dry run overwrite the report of an import
// or a removal, which the registry of runs knows (they record their
// report when they start): that report is the run's proof.
func guardProof(registry, path string) error {
	if path == "-" || path == "" {
		return nil
	}
	if journal, ok := ledger.WroteReport(registry, path); ok {
		return Usagef("%s is the report of a run that sent to Topo (journal %s): it is that run's proof, and a dry run will not overwrite it; choose another --report, or pass --force", path, journal)
	}
	return nil
}

// partialName is where an output cut short goes: list.report.csv →
// list.report.partial.csv.
func partialName(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".partial" + ext
}
