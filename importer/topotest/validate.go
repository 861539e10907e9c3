package topotest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// reasons are the API's reason values.
var reasons = []string{
	"BAD_TIMING", "BOUNCED", "COMPETITOR", "CONTACT_REFUSED", "INTERESTED", "MEETING", "OTHER",
	"OUT_OF_OFFICE", "UNKNOWN", "UNSUBSCRIBED", "WRONG_PERSON", "EXCLUDE_FROM_SEARCH",
	"EXCLUDE_FROM_CRM", "REFERRAL", "LEFT_COMPANY",
}

// createRequest is the POST body. Fields are raw JSON so that a wrong type
// is reported against its field, as the API does.
type createRequest struct {
	Reason      json.RawMessage `json:"reason"`
	Email       json.RawMessage `json:"email"`
	LinkedInURL json.RawMessage `json:"linkedin_url"`
	Domain      json.RawMessage `json:"domain"`
	Message     json.RawMessage `json:"message"`
	Until       json.RawMessage `json:"until"`
}

// change is a PATCH: which fields to set, and to what.
type change struct {
	reason, message, until *string
	setMessage, setUntil   bool
}

// parseChange validates a PATCH body as Topo does.
func parseChange(body map[string]json.RawMessage) (change, error) {
	var ch change
	for k := range body {
		switch k {
		case "reason", "message", "until":
		default:
			return ch, &fieldError{k, "cannot be changed (only reason, message and until can)"}
		}
	}
	if raw, ok := body["reason"]; ok {
		var reason string
		if err := json.Unmarshal(raw, &reason); err != nil || !slices.Contains(reasons, reason) {
			return ch, &fieldError{"reason", fmt.Sprintf("must be one of %s", strings.Join(reasons, ", "))}
		}
		ch.reason = &reason
	}
	var err error
	if raw, ok := body["message"]; ok {
		ch.setMessage = true
		if ch.message, err = nullableString("message", raw); err != nil {
			return ch, err
		}
	}
	if raw, ok := body["until"]; ok {
		ch.setUntil = true
		if ch.until, err = nullableString("until", raw); err != nil {
			return ch, err
		}
		if ch.until != nil {
			if _, err := time.Parse(time.RFC3339, *ch.until); err != nil {
				return ch, &fieldError{"until", "must be an RFC 3339 date-time"}
			}
		}
	}
	return ch, nil
}

// fieldError is a validation failure naming its field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// nullableString decodes a string-or-null field; empty strings count as null.
func nullableString(field string, raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, &fieldError{field, "must be a string or null"}
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return &s, nil
}

// validate turns a request into an exclusion, with the same rules as the
// real API: reason required and in the enum (upper case), at least one of
// email and linkedin_url, until an RFC 3339 date-time.
func (req *createRequest) validate(now time.Time, account bool) (*Exclusion, error) {
	var reason string
	if len(req.Reason) == 0 || string(req.Reason) == "null" {
		return nil, &fieldError{"reason", "is required"}
	}
	if err := json.Unmarshal(req.Reason, &reason); err != nil {
		return nil, &fieldError{"reason", "must be a string"}
	}
	if !slices.Contains(reasons, reason) {
		return nil, &fieldError{"reason", fmt.Sprintf("must be one of %s", strings.Join(reasons, ", "))}
	}
	ex := &Exclusion{Reason: reason, CreatedAt: now, UpdatedAt: now}
	var err error
	if ex.Message, err = nullableString("message", req.Message); err != nil {
		return nil, err
	}
	if ex.Until, err = nullableString("until", req.Until); err != nil {
		return nil, err
	}
	if ex.Until != nil {
		if _, err := time.Parse(time.RFC3339, *ex.Until); err != nil {
			return nil, &fieldError{"until", "must be an RFC 3339 date-time"}
		}
	}
	if account {
		return ex, ex.validateAccount(req)
	}
	return ex, ex.validateContact(req)
}

func (ex *Exclusion) validateAccount(req *createRequest) error {
	var err error
	if ex.Domain, err = nullableString("domain", req.Domain); err != nil {
		return err
	}
	if ex.Domain == nil {
		return &fieldError{"domain", "is required"}
	}
	if d := *ex.Domain; !strings.Contains(d, ".") || strings.ContainsAny(d, "/@: ") {
		return &fieldError{"domain", "is not a domain name"}
	}
	return nil
}

func (ex *Exclusion) validateContact(req *createRequest) error {
	var err error
	if ex.Email, err = nullableString("email", req.Email); err != nil {
		return err
	}
	if ex.LinkedInURL, err = nullableString("linkedin_url", req.LinkedInURL); err != nil {
		return err
	}
	if ex.Email == nil && ex.LinkedInURL == nil {
		return &fieldError{"email", "at least one of email or linkedin_url is required"}
	}
	if ex.Email != nil && !strings.Contains(*ex.Email, "@") {
		return &fieldError{"email", "is not a valid email address"}
	}
	if ex.LinkedInURL != nil && !strings.Contains(*ex.LinkedInURL, "linkedin.com/") {
		return &fieldError{"linkedin_url", "is not a LinkedIn URL"}
	}
	return nil
}
