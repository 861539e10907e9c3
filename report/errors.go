package report

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/topo-io/topo-exclusions/importer/rows"
)

// ErrorGroups gathers the rows that need action by what went wrong: the
// status, Topo's error type, and the message with its particulars (the
// quoted values, the numbers) blurred, so that 10,000 bad emails make one
// group, not 10,000. Memory is bounded: at most maxGroups groups, each
// with its first maxRows row numbers and a count.
type ErrorGroups struct {
	mu      sync.Mutex
	groups  map[string]*ErrorGroup
	other   ErrorGroup
	blurred map[string]string // raw message → blurred, at most maxBlurred
}

// ErrorGroup is one kind of failure and where it happened.
type ErrorGroup struct {
	Status  rows.Status `json:"status"`
	Type    string      `json:"type,omitempty"`
	Message string      `json:"message"`
	Count   int         `json:"count"`
	Rows    []int       `json:"rows"`
}

const (
	maxGroups  = 200
	maxRows    = 50
	maxBlurred = 4096
)

var (
	quoted  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	numbers = regexp.MustCompile(`\d+`)
	// A count and its noun ("1 attempt", "3 attempts") group as one.
	counted = regexp.MustCompile(`\bN (attempt|field|row|request|second)s?\b|\bN retr(?:y|ies)\b`)
)

// NewErrorGroups returns an empty collector.
func NewErrorGroups() *ErrorGroups {
	return &ErrorGroups{groups: map[string]*ErrorGroup{}, blurred: map[string]string{}}
}

// Add counts o when its row needs action.
func (e *ErrorGroups) Add(o rows.Outcome) {
	if !o.NeedsAction() {
		return
	}
	msg := e.blur(o.Err)
	key := string(o.Status) + "\x00" + o.ErrorType + "\x00" + msg
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groups[key]
	if g == nil && len(e.groups) >= maxGroups {
		g = &e.other
		g.Status, g.Message = "", "other failures"
	}
	if g == nil {
		g = &ErrorGroup{Status: o.Status, Type: o.ErrorType, Message: msg}
		e.groups[key] = g
	}
	g.Count++
	if len(g.Rows) < maxRows {
		g.Rows = append(g.Rows, o.Row.Num)
	}
}

// blur takes the particulars out of a message. The same message often
// comes for every row (a stop leaves 200,000 rows with one): those are
// blurred once, in a bounded memo, since the expressions cost more than
// the rest of a row's recording.
func (e *ErrorGroups) blur(raw string) string {
	e.mu.Lock()
	msg, ok := e.blurred[raw]
	e.mu.Unlock()
	if ok {
		return msg
	}
	msg = numbers.ReplaceAllString(quoted.ReplaceAllString(raw, `"…"`), "N")
	msg = counted.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.HasPrefix(m, "N retr") {
			return "N retries"
		}
		return strings.TrimSuffix(m, "s") + "s"
	})
	e.mu.Lock()
	if len(e.blurred) < maxBlurred {
		e.blurred[raw] = msg
	}
	e.mu.Unlock()
	return msg
}

// Groups returns the groups, the largest first.
func (e *ErrorGroups) Groups() []ErrorGroup {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ErrorGroup, 0, len(e.groups)+1)
	for _, g := range e.groups {
		out = append(out, *g)
	}
	if e.other.Count > 0 {
		out = append(out, e.other)
	}
	slices.SortFunc(out, func(a, b ErrorGroup) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out
}
