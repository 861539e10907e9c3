package settle

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/topo-io/topo-exclusions/importer/topo"
)

// ProtectedReasons are the opt-outs: a person who unsubscribed or
// refused contact, or mail that cannot arrive. An import or a removal
// never lifts one by accident (CAN-SPAM, CCPA and CASL give days to honour
// an opt-out; GDPR Art. 21 makes an objection absolute).
var ProtectedReasons = []string{"UNSUBSCRIBED", "CONTACT_REFUSED", "BOUNCED"}

// protected says whether a reason is an opt-out.
func protected(reason string) bool { return slices.Contains(ProtectedReasons, reason) }

// lifts says how ch would let Topo contact a person that held excludes
// for an opt-out sooner ("" when it would not): giving a permanent
// record an until, shortening its until, or replacing its reason with one
// that is not an opt-out.
func lifts(held Held, ch *topo.Change) string {
	if !protected(held.Reason) {
		return ""
	}
	var how []string
	if ch.SetUntil {
		until, _ := topo.ParseUntil(ch.Until)
		switch {
		case held.Until == nil && until != nil:
			how = append(how, "give it an until ("+until.Format(time.RFC3339)+")")
		case held.Until != nil && until != nil && until.Before(*held.Until):
			how = append(how, "shorten it to "+until.Format(time.RFC3339))
		}
	}
	if ch.Reason != "" && !protected(ch.Reason) {
		how = append(how, "relabel it "+ch.Reason)
	}
	return strings.Join(how, " and ")
}

// liftsByDelete says how deleting held would lift an opt-out ("" when it
// is not one).
func liftsByDelete(held Held) string {
	if !protected(held.Reason) {
		return ""
	}
	return "delete it"
}

// protectedErr is the error of a row left unchanged because what would
// be done to held lifts an opt-out.
func protectedErr(held Held, what, how string) string {
	since := ""
	if !held.CreatedAt.IsZero() {
		since = " since " + held.CreatedAt.UTC().Format(time.DateOnly)
	}
	return fmt.Sprintf("Topo's record %s excludes this person as %s%s: %s would %s, which lifts an opt-out; left unchanged (rerun with --lift-optouts to do it)",
		held.ID, held.Reason, since, what, how)
}
