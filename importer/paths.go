package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
)

// paths are where a run reads and writes, absolute ("-": a standard
// stream, "": none), resolved once against Env.Dir when the run starts:
// nothing later depends on the process's working directory.
type paths struct {
	input                                    string
	report, failures, summary, metrics, html string
	journal, state, export                   string
	// shown is each path as the operator gave it (or as it was named
	// after the input), for messages.
	shown map[string]string
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

// resolvePaths fills in the defaults (with DefaultOutputs) and makes
// every path absolute against dir.
func resolvePaths(opt Options, dir string) paths {
	report, failures, journal := opt.Report, opt.Failures, opt.Journal
	if opt.DefaultOutputs && opt.Command != Export {
		named := opt.Input
		if named != "-" && !fileBesideFiles(absPath(dir, named)) {
			named = "-" // a pipe, a FIFO, /dev/stdin: named as standard input is
		}
		names := outputNames[opt.Command]
		report = orDefault(report, besideInput(named, names[0]))
		failures = orDefault(failures, besideInput(named, names[1]))
		if opt.Command.writes() {
			beside := report
			if beside != "-" && inDevices(absPath(dir, beside)) {
				beside = "-" // --report /dev/stdout: the journal is not a device's neighbour
			}
			journal = orDefault(journal, defaultJournal(named, beside, opt.Command))
		}
	}
	export := opt.Export.Output
	if opt.Command == Export && export == "" {
		export = "-"
	}
	p := paths{shown: map[string]string{}}
	abs := func(path string) string {
		a := absPath(dir, path)
		if a != path || filepath.IsAbs(path) {
			p.shown[a] = path
		}
		return a
	}
	p.input = abs(opt.Input)
	p.report, p.failures, p.summary, p.metrics, p.html = abs(report), abs(failures), abs(opt.Summary), abs(opt.Metrics), abs(opt.HTML)
	p.journal, p.state, p.export = abs(journal), abs(opt.State), abs(export)
	return p
}

// fileBesideFiles says whether outputs may be named after path, beside
// it: a regular file (or one that is not there: the run says so), and not
// in /dev or /proc, where /dev/stdin and /dev/fd/N live. A pipe's outputs
// beside it would go into /dev, or into the folder of a FIFO that is no
// list's home.
func fileBesideFiles(path string) bool {
	if inDevices(path) {
		return false
	}
	st, err := os.Stat(path)
	return err != nil || st.Mode().IsRegular() || st.IsDir()
}

// inDevices says whether an absolute path is in /dev or /proc.
func inDevices(path string) bool {
	for _, sys := range []string{"/dev", "/proc"} {
		if path == sys || strings.HasPrefix(path, sys+"/") {
			return true
		}
	}
	return false
}

// absPath is path made absolute against dir ("" and "-" stay as they are).
func absPath(dir, path string) string {
	switch path {
	case "", "-":
		return path
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return filepath.Clean(path)
}

// show is a path as the operator knows it.
func (p paths) show(path string) string {
	switch path {
	case "-":
		return "standard output"
	case "":
		return ""
	}
	if s, ok := p.shown[path]; ok {
		return s
	}
	return path
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

// Usage marks it a usage error: nothing was read or sent.
func (e *ClashError) Usage() bool { return true }

// named is a path with the flag that set it.
type named struct{ flag, path string }

// checkDistinct refuses two roles for one file: the input, every output,
// the journal, the state and their locks are compared as absolute paths
// and, where they exist, as files (a link, a second name). At most one
// output may be standard output.
func (p paths) checkDistinct() error {
	all := []named{{"FILE", p.input}, {"--report", p.report}, {"--failures", p.failures}, {"--summary", p.summary},
		{"--metrics", p.metrics}, {"--html", p.html}, {"--journal", p.journal}, {"--state", p.state}, {"--output", p.export}}
	if p.journal != "" {
		all = append(all, named{"--journal's lock", p.journal + ".lock"}, named{"--journal's previous copy", p.journal + ".prev"})
	}
	if p.state != "" {
		all = append(all, named{"--state's lock", p.state + ".lock"})
	}
	for _, kept := range []named{{"--report", p.report}, {"--failures", p.failures}} {
		if kept.path != "" && kept.path != "-" {
			all = append(all, named{kept.flag + "'s previous copy", prevName(kept.path)})
		}
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
				return &ClashError{A: a.flag, B: b.flag, Path: p.show(a.path)}
			}
		}
	}
	if len(stdout) > 1 {
		return Usagef("%s all write to standard output (-): at most one output may", strings.Join(stdout, " and "))
	}
	return nil
}

// samePath compares two absolute paths, and the files they name.
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// guardProof refuses to let a dry run overwrite the report of an import
// or a removal, which the registry of runs knows (they record their
// report when they start): that report is the run's proof.
func guardProof(registries []string, path, shown string) error {
	if path == "-" || path == "" {
		return nil
	}
	for _, registry := range registries {
		journal, ok := ledger.WroteReport(registry, path)
		if !ok {
			continue
		}
		return Usagef("%s is the report of a run that sent to Topo (journal %s): it is that run's proof, and a dry run will not overwrite it; choose another --report, or pass --force", shown, journal)
	}
	return nil
}

// partialName is where an output cut short goes: list.report.csv →
// list.report.partial.csv.
func partialName(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".partial" + ext
}
