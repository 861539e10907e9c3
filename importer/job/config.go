// Package job runs one command of topo-exclusions from parsed settings to
// exit code: it opens the input, the outputs and the journal, checks the
// key, runs the pipeline, and always writes the summary. The CLI only
// parses flags into a Config; everything a run does is here, usable and
// testable without it.
package job

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer"
	"github.com/topo-io/topo-exclusions/importer/input"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// Command is what a run does.
type Command int

// The commands.
const (
	Validate Command = iota
	Import
	Plan
	Remove
	Export
)

var commandNames = [...]string{"validate", "import", "plan", "remove", "export"}

func (c Command) String() string { return commandNames[c] }

// sends says whether the command talks to Topo.
func (c Command) sends() bool { return c != Validate }

// writes says whether the command changes what Topo holds.
func (c Command) writes() bool { return c == Import || c == Remove }

// Config is one run, parsed and checked for form by the CLI.
type Config struct {
	Command Command
	// Removal reads rows for removal: remove, and plan --remove.
	Removal bool
	// Input is the list's path, or "-" for standard input.
	Input string
	Read  input.Options
	Sheet string

	// Outputs: "" takes the default (beside the input, named for the
	// command), "-" standard output (at most one of them).
	Report, Failures, Summary, Metrics, HTML string

	Topo    Topo
	Journal string
	State   string
	// Force runs again an input a run completed (every row looked up
	// first), and lets a dry run overwrite a report that an import wrote.
	Force bool
	// Yes confirms a removal without asking.
	Yes bool

	Export ExportOptions

	// Quiet logs only errors and the summary.
	Quiet bool
	// Progress forces the progress display's kind ("bar", "log"); empty
	// decides from StderrTTY.
	Progress string
}

// Topo is how to talk to Topo.
type Topo struct {
	BaseURL string
	// TokenFile is where the key is read from; empty: TOPO_API_KEY.
	TokenFile string
	// Rate caps requests per second (0: as fast as Topo allows); with
	// AutoRate it is found, and Rate (when set) caps what is found.
	Rate     float64
	AutoRate bool
	Burst    int
	// Concurrency bounds the requests in flight; 0 sizes it from the rate
	// and the latency.
	Concurrency int
	Retries     int
	Timeout     time.Duration
	Grace       time.Duration
	MaxFailures int
	Existing    importer.Existing
	Snapshot    Snapshot
}

// Snapshot is when to load Topo's whole list to decide rows locally.
type Snapshot int

// The snapshot policies.
const (
	SnapshotAuto Snapshot = iota
	SnapshotAlways
	SnapshotNever
)

// SnapshotPolicies are --snapshot's values, in order.
var SnapshotPolicies = []string{"auto", "always", "never"}

func (s Snapshot) String() string { return SnapshotPolicies[s] }

// ExportOptions are export's own settings.
type ExportOptions struct {
	// Output is the file to write, or "-".
	Output string
	// JSONL writes one JSON object a line instead of CSV.
	JSONL bool
	// Since keeps records created after it; Reason those with that reason.
	Since  time.Time
	Reason string
}

// Env is the process's surroundings: streams, terminal, environment,
// folders, clock. Tests hand in their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StderrTTY and StdinTTY say whether those are terminals.
	StderrTTY, StdinTTY bool
	// Getenv reads the environment (TOPO_API_KEY).
	Getenv func(string) string
	// StateDir holds the registry of runs; CacheDir what was learnt of
	// Topo's rate limit. Empty: none.
	StateDir, CacheDir string
	// Log is where messages go; JSONLogs says it writes JSON.
	Log      *slog.Logger
	JSONLogs bool
	// UserAgent is sent with every request.
	UserAgent string
	Now       func() time.Time
}

// commandName is the command as the summary names it.
func (c *Config) commandName() string {
	switch {
	case c.Command == Plan && c.Removal:
		return "plan --remove"
	}
	return c.Command.String()
}

// settings are what the run was asked to do, for the summary and the run
// page: parsed values, never the key.
func (c *Config) settings() map[string]string {
	m := map[string]string{"command": c.commandName(), "input": displayName(c.Input)}
	if c.Command.sends() {
		t := c.Topo
		rate := fmt.Sprint(t.Rate)
		if t.AutoRate {
			rate = "auto"
			if t.Rate > 0 {
				rate = fmt.Sprintf("auto (at most %v)", t.Rate)
			}
		}
		conc := fmt.Sprint(t.Concurrency)
		if t.Concurrency == 0 {
			conc = "auto"
		}
		m["base_url"], m["rate"], m["burst"], m["concurrency"] = topo.RedactURL(t.BaseURL), rate, fmt.Sprint(t.Burst), conc
		m["retries"], m["timeout"], m["existing"], m["snapshot"] = fmt.Sprint(t.Retries), t.Timeout.String(), t.Existing.String(), t.Snapshot.String()
	}
	if c.Read.DefaultReason != "" {
		m["default_reason"] = c.Read.DefaultReason
	}
	return m
}

// fingerprintSettings is the canonical text of the settings that change
// what is read and sent, as parsed and as detected in the input (info):
// two spellings of one setting, or a setting given and the same one
// sniffed, are one fingerprint.
func (c *Config) fingerprintSettings(info input.Info) string {
	var maps []string
	for f, h := range c.Read.Map {
		maps = append(maps, fmt.Sprintf("%s=%s", f, h))
	}
	slices.Sort(maps)
	reason, _ := importer.NormalizeReason(c.Read.DefaultReason)
	return strings.Join([]string{
		string(info.Encoding), fmt.Sprint(info.Delimiter), info.Sheet, info.Kind.String(), reason,
		strings.Join(maps, "\x00"), c.Topo.Existing.String(), fmt.Sprint(c.Removal),
	}, "\x1f")
}
