// Package outreach finds who on a list is still being contacted, and
// stops it. Topo checks exclusions when leads are imported, not when
// messages are sent: a person already running in a sequence keeps
// receiving its steps after the exclusion is added. So once a row's
// exclusion is settled, its person's running sequences are looked for
// (by the contacts that hold the row's email, LinkedIn URL or domain) and,
// asked to, stopped; a sequence is a row's only when its contact_id is
// one of the row's contacts, checked for every item Topo returns.
package outreach

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/sync/errgroup"

	"github.com/topo-io/topo-exclusions/importer/internal/api"
	"github.com/topo-io/topo-exclusions/importer/rows"
	"github.com/topo-io/topo-exclusions/importer/topo"
)

// API is what outreach needs of Topo; *api.Client is the real one.
type API interface {
	Contacts(ctx context.Context, q api.ContactQuery) api.Answer
	Contact(ctx context.Context, id string) api.Answer
	Sequences(ctx context.Context, q api.SequenceQuery) api.Answer
	Sequence(ctx context.Context, id string) api.Answer
	StopSequence(ctx context.Context, id string) api.Answer
}

// Remote is the Topo outreach talks to, through the run's one retry
// policy.
type Remote struct {
	API     API
	Retrier *api.Retrier
	// Parallel bounds the reads Build makes at once (0: 8). They all wait
	// their turn at the run's pacer: in parallel, the latency of one does
	// not hold up the next.
	Parallel int
}

func (r *Remote) parallel() int {
	if r.Parallel > 0 {
		return r.Parallel
	}
	return 8
}

// Index is who is in a running sequence, by the keys a row can have:
// built from every running sequence and the contact it belongs to, so
// that a long list's rows are matched without a request each.
type Index struct {
	byKey map[string][]string // "email:…", "linkedin_url:…", "domain:…" → sequence ids
	// Requests is what building it took.
	Requests int
}

// Running is the row's running sequences, by the index: those whose
// contact holds one of the row's keys (or, for a domain, an email or a
// company domain at or under it).
func (x *Index) Running(row rows.Row) []string {
	var ids []string
	for _, k := range row.Keys() {
		for _, id := range x.byKey[k.Name+":"+k.Value] {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Build reads every running sequence (one status at a time, 100 a page),
// then the contacts they belong to — by id, or the whole contact list
// when that is fewer requests — and indexes them.
func (r *Remote) Build(ctx context.Context) (*Index, error) {
	x := &Index{byKey: map[string][]string{}}
	byContact := map[string][]string{} // contact id → sequence ids
	var mu sync.Mutex                  // byContact, x, as the statuses are read at once
	g, gctx := errgroup.WithContext(ctx)
	for _, status := range topo.RunningStatuses {
		g.Go(func() error {
			n, err := walk(gctx, r.Retrier, api.OpSequences, func(ctx context.Context, page int) api.Answer {
				return r.API.Sequences(ctx, api.SequenceQuery{Status: status, Page: page, Size: pageSize})
			}, func(q topo.Sequence) string { return q.ID }, func(items []topo.Sequence) error {
				mu.Lock()
				defer mu.Unlock()
				for _, q := range items {
					// Checked item by item: an endpoint may ignore a filter.
					if q.Status == status && q.ContactID != nil && !slices.Contains(byContact[*q.ContactID], q.ID) {
						byContact[*q.ContactID] = append(byContact[*q.ContactID], q.ID)
					}
				}
				return nil
			})
			mu.Lock()
			x.Requests += n
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(byContact) == 0 {
		return x, nil
	}
	n, err := r.contacts(ctx, byContact, func(c topo.Contact) {
		mu.Lock()
		defer mu.Unlock()
		for _, key := range contactKeys(c) {
			for _, id := range byContact[c.ID] {
				if !slices.Contains(x.byKey[key], id) {
					x.byKey[key] = append(x.byKey[key], id)
				}
			}
		}
	})
	x.Requests += n
	return x, err
}

// contacts hands each contact of ids to each: one GET a contact, or the
// whole list of contacts when its pages are fewer.
func (r *Remote) contacts(ctx context.Context, ids map[string][]string, each func(topo.Contact)) (int, error) {
	requests := 0
	var first *topo.Page[topo.Contact]
	res := r.Retrier.Do(ctx, ctx, api.Call{
		Op: api.OpContacts,
		Send: func(ctx context.Context) api.Answer {
			return r.API.Contacts(ctx, api.ContactQuery{Page: 1, Size: pageSize})
		},
		Accept: func(a api.Answer) bool {
			var ok bool
			first, ok = api.Decode[topo.Page[topo.Contact]](a, "items")
			return ok
		},
	})
	requests += res.Attempts
	if total, ok := trustedTotal(res, first); ok && (total+pageSize-1)/pageSize <= len(ids) {
		n, err := walk(ctx, r.Retrier, api.OpContacts, func(ctx context.Context, page int) api.Answer {
			return r.API.Contacts(ctx, api.ContactQuery{Page: page, Size: pageSize})
		}, func(c topo.Contact) string { return c.ID }, func(items []topo.Contact) error {
			for _, c := range items {
				if _, wanted := ids[c.ID]; wanted {
					each(c)
				}
			}
			return nil
		})
		return requests + n, err
	}
	var n atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.parallel())
	for id := range ids {
		g.Go(func() error {
			var c *topo.Contact
			res := r.Retrier.Do(gctx, gctx, api.Call{
				Op:   api.OpContacts,
				Send: func(ctx context.Context) api.Answer { return r.API.Contact(ctx, id) },
				Accept: func(a api.Answer) bool {
					var ok bool
					c, ok = api.Decode[topo.Contact](a, "id")
					return ok && c.ID == id
				},
			})
			n.Add(int64(res.Attempts))
			switch {
			case res.Interrupted:
				return context.Cause(gctx)
			case res.Settled() && res.Answer.NotFound():
				return nil // deleted since: nobody left to contact
			case !res.Settled():
				return &ReadError{What: "contact " + id, Page: 1, Reason: api.Describe(res.Answer), Status: res.Answer.Status}
			}
			each(*c)
			return nil
		})
	}
	err := g.Wait()
	if err != nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return requests + int(n.Load()), err
}

// trustedTotal is a first page's total, when the page came and does not
// contradict it.
func trustedTotal[T any](res api.Result, first *topo.Page[T]) (int, bool) {
	if !res.Settled() || first == nil {
		return 0, false
	}
	total, ok := first.Total()
	return total, ok && total >= len(first.Items)
}

// contactKeys are the keys a row could hold a contact by: its email and
// LinkedIn URL as the normalisers write them, and for account rows every
// domain at or above its email's domain and its company domain, down to
// the registrable one (a row for acme.com covers eu.acme.com's people).
func contactKeys(c topo.Contact) []string {
	var keys []string
	email := ""
	if c.Email != nil {
		if n, err := rows.NormalizeEmail(*c.Email); err == nil {
			email = n
			keys = append(keys, "email:"+n)
		}
	}
	if c.LinkedInURL != nil {
		if n, err := rows.NormalizeLinkedIn(*c.LinkedInURL); err == nil {
			keys = append(keys, "linkedin_url:"+n)
		}
	}
	var domains []string
	if _, d, ok := strings.Cut(email, "@"); ok {
		domains = append(domains, d)
	}
	if c.CompanyDomain != nil {
		domains = append(domains, *c.CompanyDomain)
	}
	for _, d := range domains {
		for _, up := range parentDomains(d) {
			if k := "domain:" + up; !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// parentDomains are d and every domain above it, down to the registrable
// one: eu.acme.co.uk → eu.acme.co.uk, acme.co.uk.
func parentDomains(d string) []string {
	n, err := rows.NormalizeDomain(d)
	if err != nil {
		return nil
	}
	top, err := publicsuffix.EffectiveTLDPlusOne(n)
	if err != nil {
		return nil
	}
	out := []string{n}
	for n != top {
		_, n, _ = strings.Cut(n, ".")
		out = append(out, n)
	}
	return out
}

// ErrFilterIgnored says Topo answered a contact's sequences with other
// contacts' (it ignores contact_id): rows are then matched by an Index.
var ErrFilterIgnored = errors.New("topo answered the sequences of a contact with other contacts' (it ignores contact_id)")

// ForRow finds one row's running sequences with a request or two: the
// contacts holding its email and its LinkedIn URL (each checked: Topo's
// filters are case-insensitive or normalised, a proxy's may be absent),
// then each contact's sequences. A row of a domain has no contact filter
// to ask by: only an Index answers for it (ErrNeedsIndex).
func (r *Remote) ForRow(ctx context.Context, row rows.Row) (ids []string, requests int, err error) {
	if row.Norm.Domain != "" {
		return nil, 0, ErrNeedsIndex
	}
	var contacts []string
	for _, k := range row.Keys() {
		q := api.ContactQuery{Email: k.Value, Size: pageSize}
		if k.Name == "linkedin_url" {
			q = api.ContactQuery{LinkedInURL: k.Value, Size: pageSize}
		}
		n, err := walk(ctx, r.Retrier, api.OpContacts, func(ctx context.Context, page int) api.Answer {
			q.Page = page
			return r.API.Contacts(ctx, q)
		}, func(c topo.Contact) string { return c.ID }, func(items []topo.Contact) error {
			for _, c := range items {
				if slices.Contains(contactKeys(c), k.Name+":"+k.Value) && !slices.Contains(contacts, c.ID) {
					contacts = append(contacts, c.ID)
				}
			}
			return nil
		})
		requests += n
		if err != nil {
			return nil, requests, err
		}
	}
	for _, c := range contacts {
		n, err := walk(ctx, r.Retrier, api.OpSequences, func(ctx context.Context, page int) api.Answer {
			return r.API.Sequences(ctx, api.SequenceQuery{ContactID: c, Page: page, Size: pageSize})
		}, func(q topo.Sequence) string { return q.ID }, func(items []topo.Sequence) error {
			for _, q := range items {
				if q.ContactID == nil || *q.ContactID != c {
					return ErrFilterIgnored
				}
				if topo.Running(q.Status) && !slices.Contains(ids, q.ID) {
					ids = append(ids, q.ID)
				}
			}
			return nil
		})
		requests += n
		if err != nil {
			return nil, requests, err
		}
	}
	return ids, requests, nil
}

// ErrNeedsIndex says a row can only be matched by an Index.
var ErrNeedsIndex = errors.New("an account row is matched by the index of running sequences")
