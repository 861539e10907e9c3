package ledger

import (
	"encoding/json"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/rows"
)

// journalLine is one line of the journal; which fields are set says what
// it is: a header, an intent, an outcome, or the completion.
type journalLine struct {
	Journal int          `json:"journal,omitempty"` // format version, on a header
	FP      *Fingerprint `json:"fp,omitempty"`
	Started string       `json:"started,omitempty"`
	// An intent: the row, what may be sent (c, u, d; none in the first
	// format, which knew only creates), the record, what an update
	// changes, and when (Unix milliseconds).
	Intent   int         `json:"i,omitempty"`
	Op       string      `json:"op,omitempty"`
	At       int64       `json:"t,omitempty"`
	PrevSet  bool        `json:"pv,omitempty"`
	PrevRsn  string      `json:"pr,omitempty"`
	PrevUnt  string      `json:"pu,omitempty"`
	Row      int         `json:"o,omitempty"`
	Status   rows.Status `json:"s,omitempty"`
	ID       string      `json:"id,omitempty"`
	HTTP     int         `json:"h,omitempty"`
	ErrType  string      `json:"et,omitempty"`
	Err      string      `json:"e,omitempty"`
	Request  string      `json:"rq,omitempty"`
	Attempts int         `json:"a,omitempty"`
	Maybe    bool        `json:"m,omitempty"`
	Lifted   string      `json:"lift,omitempty"` // an opt-out this run lifted (--lift-optouts)
	Note     string      `json:"n,omitempty"`
	// Withdrawn is a row whose last intent was never sent: the run
	// stopped before it went out.
	Withdrawn int    `json:"w,omitempty"`  // what the outcome's answers showed (a record found after a lost answer…)
	PrevMsg   string `json:"pm,omitempty"` // a delete's record's message
	// Topo's record as the run left it (rows.Held), flat so that the
	// fast decoder reads it: present when HReason is set.
	HEmail  string `json:"he,omitempty"`
	HLinked string `json:"hl,omitempty"`
	HDomain string `json:"hd,omitempty"`
	HReason string `json:"hr,omitempty"`
	HUntil  string `json:"hu,omitempty"`
	HMsg    string `json:"hm,omitempty"`
	// A stop's outcome: the row, the sequence (ID) and what became of it.
	StopRow  int    `json:"so,omitempty"`
	Result   string `json:"r,omitempty"`
	Done     string `json:"done,omitempty"`
	Report   string `json:"report,omitempty"`
	Failures string `json:"failures,omitempty"`
	Need     int    `json:"need,omitempty"`
	// AllUnsure marks, from here on, every row without an outcome as
	// maybe sent (MarkAllUnsure): a resume must go on looking them up.
	AllUnsure bool `json:"unsure,omitempty"`
}

var opCodes = map[api.Op]string{api.OpCreate: "c", api.OpUpdate: "u", api.OpDelete: "d", api.OpStop: "s"}

func opOf(code string) api.Op {
	if code == "" {
		return api.OpCreate // a create's intent names no op: the common line
	}
	for op, c := range opCodes {
		if c == code {
			return op
		}
	}
	return api.OpCreate
}

// parseLine decodes one journal line (without its newline) into l.
//
// Resuming a million-row journal reads two million lines, and again one
// per settled row as the rows come up: through encoding/json that alone
// took over three seconds. The lines this package writes are
// json.Marshal's of a journalLine — one flat object, no spaces, ASCII
// strings — so those are read here without reflection; anything else
// (the header's nested fingerprint, an escaped string, a line edited by
// hand, a damaged one) is left to encoding/json, which decides.
func parseLine(b []byte, l *journalLine) error {
	if fastLine(b, l) {
		return nil
	}
	// Decoded apart, so that l (the caller's, line after line) need not
	// live on the heap.
	slow := new(journalLine)
	err := json.Unmarshal(b, slow)
	*l = *slow
	return err
}

// fastLine decodes the flat lines parseLine knows, and reports false for
// anything else (l is then to be discarded).
func fastLine(b []byte, l *journalLine) bool {
	*l = journalLine{}
	if len(b) < 2 || b[0] != '{' {
		return false
	}
	if b[1] == '}' {
		return len(b) == 2
	}
	for i := 1; ; {
		key, next, ok := plainString(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return false
		}
		if i, ok = l.set(key, b, next+1); !ok || i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i+1 == len(b)
		default:
			return false
		}
	}
}

// set decodes the value at b[i:] into the field key names, and returns
// where the value ends. Unknown keys, and values of the wrong type, make
// it give up (encoding/json then has its say).
func (l *journalLine) set(key []byte, b []byte, i int) (int, bool) {
	var n *int
	var s *string
	var flag *bool
	switch string(key) {
	case "journal":
		n = &l.Journal
	case "i":
		n = &l.Intent
	case "o":
		n = &l.Row
	case "h":
		n = &l.HTTP
	case "a":
		n = &l.Attempts
	case "so":
		n = &l.StopRow
	case "w":
		n = &l.Withdrawn
	case "need":
		n = &l.Need
	case "t":
		v, end, ok := plainInt(b, i)
		l.At = v
		return end, ok
	case "started":
		s = &l.Started
	case "op":
		s = &l.Op
	case "pr":
		s = &l.PrevRsn
	case "pu":
		s = &l.PrevUnt
	case "pm":
		s = &l.PrevMsg
	case "n":
		s = &l.Note
	case "he":
		s = &l.HEmail
	case "hl":
		s = &l.HLinked
	case "hd":
		s = &l.HDomain
	case "hr":
		s = &l.HReason
	case "hu":
		s = &l.HUntil
	case "hm":
		s = &l.HMsg
	case "id":
		s = &l.ID
	case "et":
		s = &l.ErrType
	case "e":
		s = &l.Err
	case "rq":
		s = &l.Request
	case "lift":
		s = &l.Lifted
	case "r":
		s = &l.Result
	case "done":
		s = &l.Done
	case "report":
		s = &l.Report
	case "failures":
		s = &l.Failures
	case "s":
		v, end, ok := plainString(b, i)
		l.Status = status(v)
		return end, ok
	case "pv":
		flag = &l.PrevSet
	case "m":
		flag = &l.Maybe
	case "unsure":
		flag = &l.AllUnsure
	default:
		return i, false
	}
	switch {
	case n != nil:
		v, end, ok := plainInt(b, i)
		*n = int(v)
		return end, ok
	case s != nil:
		v, end, ok := plainString(b, i)
		*s = string(v)
		return end, ok
	}
	return plainBool(b, i, flag)
}

// plainString reads the JSON string at b[i:] when it holds only printable
// ASCII and no escapes: its content, and the index after its closing quote.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, i, false
		}
	}
	return nil, i, false
}

// plainInt reads the JSON integer at b[i:] (at most 18 digits, no
// fraction or exponent).
func plainInt(b []byte, i int) (int64, int, bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var v int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	digits := i - start
	if digits == 0 || digits > 18 || digits > 1 && b[start] == '0' {
		return 0, i, false
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, i, false
	}
	if neg {
		v = -v
	}
	return v, i, true
}

func plainBool(b []byte, i int, flag *bool) (int, bool) {
	switch {
	case len(b)-i >= 4 && string(b[i:i+4]) == "true":
		*flag = true
		return i + 4, true
	case len(b)-i >= 5 && string(b[i:i+5]) == "false":
		*flag = false
		return i + 5, true
	}
	return i, false
}

// status is the status b names; those a journal usually holds are
// returned without allocating a string.
func status(b []byte) rows.Status {
	for _, s := range [...]rows.Status{rows.StatusCreated, rows.StatusExists, rows.StatusExtended, rows.StatusUpdated,
		rows.StatusRemoved, rows.StatusNotFound, rows.StatusFailed, rows.StatusProtected, rows.StatusExistsShorter} {
		if string(s) == string(b) {
			return s
		}
	}
	return rows.Status(b)
}
