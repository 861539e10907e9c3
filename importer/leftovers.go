package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/ledger"
	"github.com/topo-io/topo-exclusions/report"
)

// prepareDisk readies the disk for the run before it starts: what earlier
// runs left behind, killed, is removed, and their summary, metrics and
// run page go too, so that one this run cannot write does not go on
// saying how an earlier run ended.
func (s *session) prepareDisk() {
	s.removeLeftovers()
	s.forgetLastReports()
}

// removeLeftovers removes the temporary files of earlier runs that were
// killed (each only when no live run holds it): the outputs' pending
// files, a stream's spool being copied, the rows kept for outreach,
// registry entries and a state's upgrade being written, the learnt rate
// being saved.
func (s *session) removeLeftovers() {
	p := s.paths
	var removed []string
	stale := func(dir, prefix, suffix string) {
		if dir != "" && !inDevices(dir) {
			removed = append(removed, ledger.RemoveStale(dir, prefix, suffix)...)
		}
	}
	files := func(paths ...string) (out []string) {
		for _, path := range paths {
			if path != "" && path != "-" {
				out = append(out, path)
			}
		}
		return out
	}
	for _, path := range files(p.report, p.failures, p.summary, p.metrics, p.html, p.export) {
		stale(filepath.Dir(path), "."+filepath.Base(path), "")
	}
	outreachDirs := []string{s.env.Dir}
	for _, path := range files(p.journal, p.report) {
		outreachDirs = append(outreachDirs, filepath.Dir(path))
	}
	for _, dir := range compactDirs(outreachDirs) {
		stale(dir, outreachSpoolPrefix, outreachSpoolSuffix)
	}
	for _, path := range files(p.journal) {
		stale(filepath.Dir(path), filepath.Base(path)+ledger.SpoolTempPrefix, "")
	}
	for _, path := range files(p.state) {
		stale(filepath.Dir(path), ledger.StateTempPrefix, "")
	}
	for _, dir := range s.registryDirs() {
		stale(dir, ledger.EntryTempPrefix, "")
	}
	stale(s.env.CacheDir, "."+learntFile, "")
	if len(removed) > 0 {
		s.log.Info(fmt.Sprintf("removed %s that earlier runs, killed, left behind: %s", report.Plural(len(removed), "temporary file"), strings.Join(removed, ", ")))
	}
}

// compactDirs is dirs without repeats, in order.
func compactDirs(dirs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// forgetLastReports removes the summary, metrics and run page an earlier
// run left at this run's paths (files and links to them, never a device
// or a pipe): if this run cannot write its own (a full disk), there is
// then none, rather than one saying the last run completed.
func (s *session) forgetLastReports() {
	for _, f := range []named{{"--summary", s.paths.summary}, {"--metrics", s.paths.metrics}, {"--html", s.paths.html}} {
		if f.path == "" || f.path == "-" {
			continue
		}
		st, err := os.Lstat(f.path)
		if err != nil || !st.Mode().IsRegular() && st.Mode()&os.ModeSymlink == 0 {
			continue
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.warn(fmt.Sprintf("could not remove the last run's %s %s (%v): should this run fail to write its own, it would still say how that run ended", f.flag, s.paths.show(f.path), err))
		}
	}
}
