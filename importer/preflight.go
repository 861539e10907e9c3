package importer

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// UnavailableError is Topo not answering usefully before anything was sent.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string { return "cannot reach Topo: " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// CheckKey asks Topo, before any row is sent, whether the key is valid and
// whether it may read (which lets retries look before sending again). A bad
// key is an *AuthError; a key without exclusions:read is fine. Faults are
// retried like a row's.
func CheckKey(ctx context.Context, c *Client, k Kind, p *Pacer, retries int, timeout time.Duration) (canRead bool, err error) {
	var last string
	for n := 0; n <= retries; n++ {
		if n > 0 {
			t := time.NewTimer(fullJitter(n))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return false, context.Cause(ctx)
			}
		}
		if err := p.Wait(ctx); err != nil {
			return false, err
		}
		rctx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := c.Probe(rctx, k)
		cancel()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return false, context.Cause(ctx)
			}
			last = describe(err)
			continue
		case resp.Status == http.StatusOK:
			p.Accepted()
			return true, nil
		case resp.Status == http.StatusForbidden, resp.Status == http.StatusNotFound:
			// No read scope, or (accounts) no list endpoint: 409s settle retries.
			return false, nil
		case resp.Status == http.StatusUnauthorized:
			return false, &AuthError{Status: resp.Status, Message: resp.Message}
		case resp.Status == http.StatusTooManyRequests:
			p.Throttled(resp.Limit)
		}
		last = fmt.Sprintf("HTTP %d %s", resp.Status, resp.Message)
	}
	return false, &UnavailableError{Err: fmt.Errorf("%s (after %d attempts)", last, retries+1)}
}
