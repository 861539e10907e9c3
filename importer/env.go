package importer

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Env is the process's surroundings and the collaborators a run uses:
// streams, working directory, environment, HTTP client, clock, backoff,
// durability, folders. The zero value is usable (see withDefaults); the
// command hands in the process's, tests their own.
type Env struct {
	// Dir is the working directory relative paths are taken from ("": the
	// process's).
	Dir string
	// Stdin is read for the input "-"; Stdout written for outputs "-";
	// Stderr gets log lines and the summary. StdinTTY and StderrTTY say
	// whether they are terminals.
	Stdin               io.Reader
	Stdout, Stderr      io.Writer
	StdinTTY, StderrTTY bool
	// Getenv reads the environment (TOPO_API_KEY); nil: os.Getenv.
	Getenv func(string) string
	// HTTP sends the requests; nil: a client of its own, sized to the pool.
	HTTP *http.Client
	// Now is the clock every timestamp and expiry is judged by.
	Now func() time.Time
	// Backoff is the pause before retry n (1-based) of a request; Sleep
	// waits it (and a Retry-After) unless ctx ends first. nil: full jitter
	// from 500 ms to 30 s, and a timer.
	Backoff func(n int) time.Duration
	Sleep   func(ctx context.Context, d time.Duration) error
	// Sync makes a journal or state file durable; nil: (*os.File).Sync.
	Sync func(*os.File) error
	// StateDir holds the registry of runs; where it is "" or cannot be
	// made, $STATE_DIRECTORY does, else a folder beside the journal.
	// CacheDir holds what was learnt of Topo's rate limit ("": none).
	StateDir, CacheDir string
	// Log is where messages go; JSONLogs says it writes JSON.
	Log      *slog.Logger
	JSONLogs bool
	// UserAgent is sent with every request.
	UserAgent string
	// Hard is the second stop (cut requests off, still complete the
	// outputs) and Cut the third (leave the outputs partial, now). nil:
	// never.
	Hard, Cut context.Context
	// Watchdog is how long the outputs may take to complete after the
	// second stop before they are left partial, as after a third (0: 10 s).
	Watchdog time.Duration
}

// withDefaults fills what was left out.
func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	e.Stderr = Serialized(e.Stderr)
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Dir == "" {
		e.Dir, _ = os.Getwd()
	}
	if e.Log == nil {
		e.Log = slog.New(slog.NewTextHandler(e.Stderr, nil))
	}
	if e.UserAgent == "" {
		e.UserAgent = "topo-exclusions"
	}
	if e.Hard == nil {
		e.Hard = context.Background()
	}
	if e.Cut == nil {
		e.Cut = context.Background()
	}
	if e.Watchdog <= 0 {
		e.Watchdog = watchdog
	}
	return e
}

// serialized is a writer that takes one write at a time.
type serialized struct {
	mu sync.Mutex
	w  io.Writer
}

// Serialized makes w take one write at a time: a run's log lines, its
// progress and its summary reach standard error from several goroutines
// (an interrupt is acknowledged while the summary is written). A Log
// given in Env should write through the same Serialized writer as
// Env.Stderr; w is returned as it is when it is one already.
func Serialized(w io.Writer) io.Writer {
	if s, ok := w.(*serialized); ok {
		return s
	}
	return &serialized{w: w}
}

func (s *serialized) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
