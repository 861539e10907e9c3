// Command topo-exclusions loads suppression lists into Topo's contact
// exclusions. See README.md, or run it with --help.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	soft, hard, release := stopContexts()
	code := run(soft, hard, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	release()
	os.Exit(code)
}

// stopContexts turns signals into the two stops a run knows: the first
// SIGINT or SIGTERM cancels soft (finish what is in flight, record the
// rest), the second cancels hard (stop now, still flush the reports).
func stopContexts() (soft, hard context.Context, release func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	soft, cancelSoft := context.WithCancelCause(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case s := <-sigs:
				if n == 1 {
					cancelSoft(fmt.Errorf("interrupted by %v: %w", s, context.Canceled))
					continue
				}
				cancelHard()
				// Reports are flushed as soon as the run returns; a run stuck
				// in something no context reaches (a read from a pipe that
				// never ends) must not keep the process alive.
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					fmt.Fprintln(os.Stderr, "topo-exclusions: still not stopped 10s after the second signal: exiting")
					os.Exit(exitInterrupted)
				}
				return
			case <-done:
				return
			}
		}
	}()
	return soft, hard, func() {
		signal.Stop(sigs)
		close(done)
		cancelSoft(nil)
		cancelHard()
	}
}
