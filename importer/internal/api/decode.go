package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Topo's answers are JSON objects with each key once. A body that is not
// (a proxy's page, a truncated answer, an object that repeats "id" with
// two values) is not Topo's word on anything: the callers treat it as
// ambiguous, and look up what happened.

// errNotTopos is a 2xx body that is not what Topo sends.
var errNotTopos = errors.New("not Topo's answer")

// checkJSON refuses a body that is not one JSON object, or that repeats
// a key in any object: encoding/json would keep the last of two ids
// silently.
func checkJSON(body []byte) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: answer is not a JSON object: %s", errNotTopos, snippet(body))
	}
	if err := checkObject(d); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: more than one JSON value in the answer", errNotTopos)
	}
	return nil
}

// checkObject reads the rest of an object whose { was read.
func checkObject(d *json.Decoder) error {
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("%w: answer is not JSON: %v", errNotTopos, err)
		}
		if tok == json.Delim('}') {
			return nil
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("%w: the answer repeats the key %q", errNotTopos, key)
		}
		seen[key] = true
		if err := checkValue(d); err != nil {
			return err
		}
	}
}

// checkValue reads one value, checking the objects in it.
func checkValue(d *json.Decoder) error {
	tok, err := d.Token()
	if err != nil {
		return fmt.Errorf("%w: answer is not JSON: %v", errNotTopos, err)
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(d)
	case json.Delim('['):
		for d.More() {
			if err := checkValue(d); err != nil {
				return err
			}
		}
		_, err := d.Token() // ]
		return err
	}
	return nil
}

// decodeStrict decodes a 2xx body into v, refusing what Topo never sends
// (see checkJSON) and an object that lacks one of the keys required.
func decodeStrict(body []byte, v any, required ...string) error {
	if err := checkJSON(body); err != nil {
		return err
	}
	if len(required) > 0 {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(body, &keys); err != nil {
			return fmt.Errorf("%w: %v", errNotTopos, err)
		}
		for _, k := range required {
			if _, ok := keys[k]; !ok {
				return fmt.Errorf("%w: the answer has no %q", errNotTopos, k)
			}
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", errNotTopos, err)
	}
	return nil
}

// Decode reads a 2xx answer as one T (a record, a page), refusing a body
// that is not Topo's or that lacks a required key; ok false when it is not
// one.
func Decode[T any](a Answer, required ...string) (*T, bool) {
	if a.Status/100 != 2 || a.Err != nil {
		return nil, false
	}
	var v T
	if decodeStrict(a.body, &v, required...) != nil {
		return nil, false
	}
	return &v, true
}

// minScrubbed is the shortest key scrubbed by value: a key of a few
// letters (a test's) would blank those letters from every message; real
// keys are dozens of characters long.
const minScrubbed = 8

// bearer matches what a header echoed into a body can carry.
var bearer = regexp.MustCompile(`(?i)(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}`)

// scrub removes the key, and anything that looks like a credential, from
// text an answer carried (a WAF or a debug proxy may echo the request's
// headers), before it can reach a report, a journal, a log or a page.
func (c *Client) scrub(s string) string {
	if s == "" {
		return s
	}
	if len(c.key) >= minScrubbed {
		s = strings.ReplaceAll(s, c.key, "[redacted]")
	}
	return bearer.ReplaceAllString(s, "$1 [redacted]")
}
