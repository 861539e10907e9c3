package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// enumValue is a flag that takes one of a few words, says which in --help
// and in its error, and completes them in a shell.
type enumValue struct {
	allowed []string
	value   string
}

func newEnum(def string, allowed ...string) *enumValue {
	return &enumValue{allowed: allowed, value: def}
}

func (e *enumValue) String() string { return e.value }
func (e *enumValue) Type() string   { return strings.Join(e.allowed, "|") }
func (e *enumValue) Set(s string) error {
	v := strings.ToLower(strings.TrimSpace(s))
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("want one of %s", strings.Join(e.allowed, ", "))
	}
	e.value = v
	return nil
}

// numberValue is a number (or "auto") that must be finite and within
// bounds: NaN, Inf and negative values are refused.
type numberValue struct {
	value       float64
	auto        bool // "auto" was given (or is the default)
	allowAuto   bool
	min, max    float64
	integer     bool
	description string
}

func (n *numberValue) String() string {
	if n.auto {
		return "auto"
	}
	return strconv.FormatFloat(n.value, 'g', -1, 64)
}

func (n *numberValue) Type() string {
	if n.allowAuto {
		return "auto|" + n.description
	}
	return n.description
}

func (n *numberValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if n.allowAuto && strings.EqualFold(s, "auto") {
		n.auto = true
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("want %s", n.want())
	case v < n.min || v > n.max || n.integer && v != math.Trunc(v):
		return fmt.Errorf("want %s", n.want())
	}
	n.value, n.auto = v, false
	return nil
}

func (n *numberValue) want() string {
	kind := "a number"
	if n.integer {
		kind = "a whole number"
	}
	w := fmt.Sprintf("%s from %g to %g", kind, n.min, n.max)
	if n.max == math.MaxInt32 {
		w = fmt.Sprintf("%s of %g or more", kind, n.min)
	}
	if n.allowAuto {
		w = "auto or " + w
	}
	return w
}

func (n *numberValue) Int() int { return int(n.value) }

// durationValue is a duration that must be more than zero, or, with
// zeroNever, zero for "never".
type durationValue struct {
	d         time.Duration
	zeroNever bool
}

func (d *durationValue) String() string { return d.d.String() }
func (d *durationValue) Type() string   { return "duration" }
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case d.zeroNever && (err != nil || v < 0):
		return fmt.Errorf("want a duration, such as 20s or 10m, or 0 for never")
	case !d.zeroNever && (err != nil || v <= 0):
		return fmt.Errorf("want a duration above zero, such as 30s or 2m")
	}
	d.d = v
	return nil
}

// Flag groups, in the order --help shows them.
var flagGroups = []string{"Input", "Topo", "Pacing", "Outputs", "Resume", "Faults", "Other"}

// group puts the named flags into a group of --help.
func group(fs *pflag.FlagSet, name string, flags ...string) {
	for _, f := range flags {
		if err := fs.SetAnnotation(f, "group", []string{name}); err != nil {
			panic(err) // a flag name misspelt here is a bug
		}
	}
}

// groupedUsage prints a command's usage with its flags in groups.
func groupedUsage(c *cobra.Command) error {
	w := c.OutOrStderr()
	fmt.Fprintf(w, "Usage:\n  %s\n", c.UseLine())
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(w, "  %-14s %s\n", sub.Name(), sub.Short)
			}
		}
	}
	if c.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", c.Example)
	}
	sets := map[string]*pflag.FlagSet{}
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "Other"
		if g := f.Annotations["group"]; len(g) > 0 {
			name = g[0]
		}
		if sets[name] == nil {
			sets[name] = pflag.NewFlagSet(name, pflag.ContinueOnError)
		}
		sets[name].AddFlag(f)
	})
	for _, name := range flagGroups {
		if fs := sets[name]; fs != nil {
			fmt.Fprintf(w, "\n%s flags:\n%s", name, fs.FlagUsagesWrapped(100))
		}
	}
	if c.HasAvailableInheritedFlags() {
		fmt.Fprintf(w, "\nGlobal flags:\n%s", c.InheritedFlags().FlagUsagesWrapped(100))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nRun '%s COMMAND --help' (or '%s help COMMAND') for a command's flags and examples.\n", c.CommandPath(), c.CommandPath())
	}
	return nil
}

// enumFlag adds an enumerated flag, with completion of its values.
func enumFlag(c *cobra.Command, e *enumValue, name, usage string) {
	c.Flags().Var(e, name, usage)
	_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(e.allowed, cobra.ShellCompDirectiveNoFileComp))
}
