// Command topo-exclusions loads suppression lists into Topo's exclusions,
// and exports or removes what Topo holds. See README.md, or run it with
// --help.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/topo-io/topo-exclusions/importer"
)

func main() {
	e := &env{Env: importer.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		StdinTTY: term.IsTerminal(int(os.Stdin.Fd())), StderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}}
	release := stops(e)
	code := run(e, os.Args[1:])
	release()
	os.Exit(code)
}

// stops turns signals into the three stops a run knows. The first SIGINT,
// SIGTERM or SIGHUP cancels soft: finish what is in flight, record the
// rest. The second cancels hard: stop requests at once, still complete
// the outputs. The third cancels cut: leave the outputs partial, under
// names that say so, and exit.
//
// SIGPIPE is asked for and never read: a write to a closed standard
// output then fails with EPIPE instead of killing the process, and the
// run stops as interrupted, its summary written (see importer's
// stdoutPipe). It is no stop of its own: a connection to Topo reset
// under a write raises it too.
func stops(e *env) (release func()) {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	soft, cancelSoft := context.WithCancelCause(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	cut, cancelCut := context.WithCancel(context.Background())
	e.soft, e.Hard, e.Cut = soft, hard, cut
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case s := <-sigs:
				switch n {
				case 1:
					cancelSoft(fmt.Errorf("interrupted by %v: %w", s, context.Canceled))
				case 2:
					cancelHard()
				default:
					cancelCut()
					return
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		signal.Stop(pipes)
		close(done)
		cancelSoft(nil)
		cancelHard()
		cancelCut()
	}
}
