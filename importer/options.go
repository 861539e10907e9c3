package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/internal/input"
	"github.com/topo-io/topo-exclusions/importer/internal/settle"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/report"
)

// sends says whether the command talks to Topo.
func (c Command) sends() bool { return c != Validate }

// writes says whether the command changes what Topo holds.
func (c Command) writes() bool { return c == Import || c == Remove }

// name is the command as the summary names it.
func (o *Options) name() string {
	if o.Command == Plan && o.Removal {
		return "plan --remove"
	}
	return o.Command.String()
}

// ExistingPolicies are the values of TopoOptions.Existing, the default
// first; SnapshotPolicies those of TopoOptions.Snapshot.
var (
	ExistingPolicies = settle.ExistingPolicies
	SnapshotPolicies = []string{"auto", "always", "never"}
)

// snapshotPolicy is when to read Topo's whole list first.
type snapshotPolicy int

const (
	snapshotAuto snapshotPolicy = iota
	snapshotAlways
	snapshotNever
)

func (s snapshotPolicy) String() string { return SnapshotPolicies[s] }

// decisions are the options that change what is decided, parsed.
type decisions struct {
	read     input.Options
	existing settle.Existing
	snapshot snapshotPolicy
	// reason is export's filter, as Topo spells it.
	reason string
}

// policy is what the import may do to records Topo holds.
func (d decisions) policy(liftOptOuts bool) settle.Policy {
	return settle.Policy{Existing: d.existing, LiftOptOuts: liftOptOuts}
}

// parse checks the options' values, each error naming its flag.
func (o *Options) parse() (decisions, error) {
	var d decisions
	var err error
	if d.read, err = o.Read.parse(); err != nil {
		return d, err
	}
	d.read.Removal = o.Removal
	if f := o.FailuresFormat; f != "" && f != "excel" && f != "csv" {
		return d, Usagef("--failures-format %q: want excel or csv", f)
	}
	if o.Topo.Existing != "" {
		if d.existing, err = settle.ParseExisting(o.Topo.Existing); err != nil {
			return d, Usagef("--existing: %v", err)
		}
	}
	if o.Topo.Snapshot != "" {
		i := slices.Index(SnapshotPolicies, strings.ToLower(strings.TrimSpace(o.Topo.Snapshot)))
		if i < 0 {
			return d, Usagef("--snapshot %q: want auto, always or never", o.Topo.Snapshot)
		}
		d.snapshot = snapshotPolicy(i)
	}
	if o.Export.Reason != "" {
		if d.reason, err = ParseReason("--reason", o.Export.Reason); err != nil {
			return d, err
		}
	}
	return d, nil
}

// parse reads the input options.
func (r ReadOptions) parse() (input.Options, error) {
	enc, err := input.ParseEncoding(r.Encoding)
	if err != nil {
		return input.Options{}, Usagef("--encoding: %v", err)
	}
	opt := input.Options{Encoding: enc, Map: map[input.Field]string{}}
	if r.DefaultReason != "" {
		if opt.DefaultReason, err = rows.NormalizeReason(r.DefaultReason); err != nil {
			return opt, Usagef("--default-reason %q %v", r.DefaultReason, err)
		}
	}
	if opt.Kind, err = rows.ParseKind(r.Kind); err != nil {
		return opt, Usagef("--kind: %v", err)
	}
	if opt.Delimiter, err = ParseDelimiter(r.Delimiter); err != nil {
		return opt, err
	}
	if opt.DateOrder, err = rows.ParseDateOrder(r.DateOrder); err != nil {
		return opt, Usagef("--date-order: %v", err)
	}
	for field, header := range r.Map {
		if strings.TrimSpace(header) == "" {
			return opt, Usagef("--map %s=: want field=Header Name", field)
		}
		f, err := input.ParseField(field)
		if err != nil {
			return opt, Usagef("--map %s=%s: %v", field, header, err)
		}
		opt.Map[f] = header
	}
	return opt, nil
}

// ParseDelimiter reads --delimiter: comma, semicolon, tab or pipe, by
// name or as the character; "" is 0 (sniffed).
func ParseDelimiter(s string) (byte, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, Usagef("--delimiter %q: want comma (,), semicolon (;), tab or pipe (|)", s)
}

// ParseReason reads a reason as a person writes it ("unsubscribed",
// "Exclude from CRM") into Topo's enum; flag names the option, for the
// error.
func ParseReason(flag, s string) (string, error) {
	r, err := rows.NormalizeReason(s)
	if err != nil {
		return "", Usagef("%s %q %v", flag, s, err)
	}
	return r, nil
}

// settings are what the run was asked to do, for the summary and the run
// page: parsed values, never the key.
func (o *Options) settings() map[string]string {
	m := map[string]string{"command": o.name(), "input": displayInput(o.Input)}
	if o.Command.sends() {
		t := o.Topo
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
		m["base_url"], m["rate"], m["concurrency"] = api.RedactURL(o.baseURL()), rate, conc
		m["retries"], m["lookup_retries"], m["timeout"] = fmt.Sprint(t.Retries), fmt.Sprint(t.LookupRetries), t.Timeout.String()
		m["existing"], m["snapshot"] = orDefault(t.Existing, ExistingPolicies[0]), orDefault(t.Snapshot, SnapshotPolicies[0])
		if o.Command.writes() {
			m["give_up_after"] = "never"
			if t.GiveUpAfter > 0 {
				m["give_up_after"] = t.GiveUpAfter.String()
			}
		}
	}
	if o.Read.DefaultReason != "" {
		m["default_reason"] = o.Read.DefaultReason
	}
	if o.Read.DateOrder != "" {
		m["date_order"] = o.Read.DateOrder
	}
	if len(o.Read.Map) > 0 {
		var maps []string
		for f, h := range o.Read.Map {
			maps = append(maps, fmt.Sprintf("%s=%q", f, h))
		}
		slices.Sort(maps)
		m["map"] = strings.Join(maps, " ")
	}
	return m
}

// columnsRead is which column of the input became which field (field:
// header as written), and the columns no field took, for the summary.
func columnsRead(info input.Info) (map[string]string, []string) {
	cols := map[string]string{}
	for f, h := range info.Columns {
		cols[f.String()] = h
	}
	return cols, info.Ignored
}

// baseURL is Topo's, by default production.
func (o *Options) baseURL() string { return orDefault(o.Topo.BaseURL, api.DefaultBaseURL) }

// fingerprintSettings is the canonical text of the settings that change
// what is read and sent, as parsed and as detected in the input (info):
// two spellings of one setting, or a setting given and the same one
// sniffed, are one fingerprint.
func fingerprintSettings(d decisions, removal bool, info input.Info) string {
	var maps []string
	for f, h := range d.read.Map {
		maps = append(maps, fmt.Sprintf("%s=%s", f, h))
	}
	slices.Sort(maps)
	parts := []string{
		string(info.Encoding), fmt.Sprint(info.Delimiter), info.Sheet, info.Kind.String(), d.read.DefaultReason,
		strings.Join(maps, "\x00"), d.existing.String(), fmt.Sprint(removal),
	}
	// Appended only when given, so that a journal written before the
	// option existed still matches a run without it.
	if d.read.DateOrder != rows.DateOrderUnset {
		parts = append(parts, "date_order="+d.read.DateOrder.String())
	}
	return strings.Join(parts, "\x1f")
}

// shownSettings names the fingerprint's settings (and the run's target)
// as the operator gives them, so that a journal set aside can say which
// one changed: --existing was extend, now keep.
func shownSettings(d decisions, removal bool, info input.Info, command, baseURL, workspace string) map[string]string {
	var maps []string
	for f, h := range d.read.Map {
		maps = append(maps, fmt.Sprintf("%s=%s", f, h))
	}
	slices.Sort(maps)
	if removal && command == "plan" {
		command += " --remove"
	}
	m := map[string]string{
		"the encoding": string(info.Encoding), "the delimiter": report.DelimiterName(info.Delimiter), "--sheet": info.Sheet,
		"--kind": info.Kind.String(), "--default-reason": d.read.DefaultReason, "--map": strings.Join(maps, " "),
		"the command": command, "--base-url": baseURL, "the key's workspace": workspace, "--existing": d.existing.String(),
	}
	if d.read.DateOrder != rows.DateOrderUnset {
		m["--date-order"] = d.read.DateOrder.String()
	}
	return m
}

func displayInput(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}
