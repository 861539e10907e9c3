package job

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/input"
)

// confirmRemoval asks, on a terminal, before anything is deleted: it
// shows how many rows name exclusions to remove and where, and goes on
// only on "yes". Off a terminal nobody can answer: without --yes the run
// stops before it sends anything.
func (r *run) confirmRemoval() error {
	if r.cfg.Yes {
		return nil
	}
	if !r.env.StdinTTY || !r.env.StderrTTY || r.cfg.Input == "-" {
		return Usagef("remove deletes exclusions from Topo: pass --yes to confirm (off a terminal nobody can be asked; --dry-run lists what would go)")
	}
	rows := "the rows"
	if r.total >= 0 {
		rows = fmt.Sprintf("%d rows", r.total)
	}
	fmt.Fprintf(r.env.Stderr, "Remove the exclusions that %s of %s name from Topo (%s)? This cannot be undone. Type yes to go on: ",
		rows, r.cfg.Input, r.send.client.BaseURL())
	answer, _ := bufio.NewReader(r.env.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "yes", "y":
		return nil
	}
	return Usagef("not confirmed: nothing was removed")
}

// countRows counts the input's data rows in a quick pass of the scanner,
// for progress and the snapshot's cost; -1 when not known (standard
// input not spooled, a workbook: a second parse would cost more than it
// tells).
func (r *run) countRows() int {
	name := r.cfg.Input
	if r.spool != nil {
		name = r.spool.Path
	}
	if name == "-" || input.IsWorkbook(name) {
		return -1
	}
	f, err := os.Open(name)
	if err != nil {
		return -1
	}
	defer f.Close()
	opt := r.cfg.Read
	opt.Delimiter = r.reader.Info().Delimiter
	n, err := input.CountRows(f, opt)
	if err != nil {
		return -1
	}
	return n
}
