#!/usr/bin/env bash
# make demo: rehearse the whole lifecycle against the local fake Topo API,
# which has a rate limit, latency and a few faults, as production does,
# and holds people already running in sequences (scripts/demo-topo.json):
# plan a list and see who is still being contacted, import it and stop
# their sequences, import the bundled samples (a fault retried and settled
# by a lookup), run one again (nothing is sent twice), extend an exclusion
# that ends too soon, see an opt-out that --existing replace will not
# lift, export what Topo holds, and remove a list of people who opted back
# in. Shows the summaries and where the reports, JSON summaries and HTML
# run pages are.
set -u
bin=${1:-bin/topo-exclusions}
out=$(mktemp -d "${TMPDIR:-/tmp}/topo-exclusions-demo.XXXXXX")
# The demo keeps its record of runs to itself.
export XDG_STATE_HOME="$out/state" XDG_CACHE_HOME="$out/cache"

cp scripts/demo-topo.json "$out/topo.json"
"$bin" mock-server --addr 127.0.0.1:0 --rate 20 --burst 5 --latency 30ms --jitter 20ms \
  --fail-after-commit 0.1 --reset-rate 0.03 --seed 7 --data "$out/topo.json" >"$out/mock.env" 2>"$out/mock.log" &
mock=$!
trap 'kill -INT $mock 2>/dev/null; wait $mock 2>/dev/null; cat "$out/mock.log"' EXIT
for _ in $(seq 200); do grep -q '^TOPO_API_KEY=' "$out/mock.env" 2>/dev/null && break; sleep 0.05; done
# The fake API's own URL and key (not a secret): TOPO_BASE_URL, TOPO_API_KEY.
set -a; . "$out/mock.env"; set +a

say() { printf '\n$ topo-exclusions %s\n' "$*"; "$bin" "$@"; echo "(exit $?)"; }

echo
echo "Alice and Bob are on the list, and Topo is still running sequences for them: an exclusion alone would not stop those."
say plan --report "$out/dashboard.plan.csv" --failures "$out/dashboard.plan.failures.csv" testdata/dashboard.csv
echo "Their rows in the plan (outreach, outreach_sequences are the last two columns):"
grep -E '^(2|3),' "$out/dashboard.plan.csv"

echo
echo "Import the list and stop their sequences (exclusions first, so nobody is enrolled in between):"
say import --sequences stop --report "$out/dashboard.report.csv" --failures "$out/dashboard.failures.csv" \
  --summary "$out/dashboard.summary.json" --html "$out/dashboard.html" testdata/dashboard.csv
grep -E '^(2|3),' "$out/dashboard.report.csv"
echo "Zoe is not on the list: her sequence runs on."

for f in excel-bom-semicolon messy accounts; do
  say import --default-reason other --report "$out/$f.report.csv" --failures "$out/$f.failures.csv" \
    --summary "$out/$f.summary.json" --html "$out/$f.html" "testdata/$f.csv"
done

echo
echo "Some writes above met a fault (the fake API commits, then answers 503): each was looked up and settled, never sent twice:"
grep -h 'unanswered' "$out"/*.report.csv | head -3
curl -s "$TOPO_BASE_URL/__stats" | tr ',' '\n' | grep -E '"(duplicate_creates|repeat_posts|stops)"'

echo
echo "The first list again: it ran to the end against this Topo, so the run registry sends nothing:"
say import --default-reason other --report "$out/again.report.csv" testdata/dashboard.csv

printf 'email,reason,until\ndan@example.net,other,2027-01-31\n' >"$out/relabel.csv"
echo
echo "dan@example.net unsubscribed (permanent). --existing replace with another reason and an end date would lift that opt-out: it is refused."
say import --existing replace --report "$out/relabel.report.csv" --failures "$out/relabel.failures.csv" "$out/relabel.csv"

printf 'email,reason,until\ncarol@example.org,unsubscribed,\nnew.person@example.com,unsubscribed,\n' >"$out/longer.csv"
echo
echo "A list that asks for longer than Topo holds: carol@example.org, held until June 2099, is extended for good, not just 'exists':"
say plan "$out/longer.csv"
say import --existing extend "$out/longer.csv"

say export --output "$out/export.csv"
echo "First lines of the export:"
head -3 "$out/export.csv"

printf 'email\nalice@example.com\nnobody@example.com\n' >"$out/opted-back-in.csv"
echo
echo "Alice opted back in. Her record is an opt-out (UNSUBSCRIBED): remove keeps it unless told, in so many words, to lift it."
say remove --dry-run "$out/opted-back-in.csv"
say remove --yes --lift-optouts "$out/opted-back-in.csv"

echo
echo "Reports, failures files, JSON summaries and HTML run pages are in $out"
