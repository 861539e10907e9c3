// Package listgen writes synthetic suppression lists for benchmarks and
// load tests: realistic shapes (mixed case, mailto:, LinkedIn URL variants,
// dashboard reasons, dates), a given share of duplicates and invalid rows,
// and the same bytes for the same seed.
package listgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
)

// Spec says what to generate.
type Spec struct {
	Rows int
	Seed uint64
	// InvalidEvery makes every Nth row invalid (0: none).
	InvalidEvery int
	// DuplicateEvery repeats an earlier email every Nth row (0: none).
	DuplicateEvery int
}

var reasons = []string{"unsubscribed", "competitor", "contact_refused", "BOUNCED", "Exclude from CRM", "wrong person"}

// Write writes a header and spec.Rows data rows in the dashboard's format.
func Write(w io.Writer, spec Spec) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	rng := rand.New(rand.NewPCG(spec.Seed, 0x70B0))
	fmt.Fprintln(bw, "email,linkedin_url,reason,message,until")
	for i := 1; i <= spec.Rows; i++ {
		n := i
		if spec.DuplicateEvery > 0 && i%spec.DuplicateEvery == 0 && i > 1 {
			n = rng.IntN(i-1) + 1
		}
		email, linkedin := "", ""
		switch kind := rng.IntN(10); {
		case kind < 7:
			email = fmt.Sprintf("Person.%d@Example%d.com", n, n%97)
		case kind < 9:
			email = fmt.Sprintf("mailto:person.%d@example%d.com", n, n%97)
			linkedin = fmt.Sprintf("https://www.linkedin.com/in/person-%d/", n)
		default:
			linkedin = fmt.Sprintf("linkedin.com/in/Person-%d?trk=x", n)
		}
		until := ""
		if rng.IntN(4) == 0 {
			until = "2099-12-31"
		}
		if spec.InvalidEvery > 0 && i%spec.InvalidEvery == 0 {
			email, linkedin = fmt.Sprintf("person.%d(at)example.com", n), ""
		}
		fmt.Fprintf(bw, "%s,%s,%s,imported from CRM,%s\n", email, linkedin, reasons[rng.IntN(len(reasons))], until)
	}
	return bw.Flush()
}
