#!/usr/bin/env bash
# make demo: rehearse the whole lifecycle against the local fake Topo API,
# which has a rate limit, latency and a few faults, as production does:
# import the bundled samples, run one again (nothing is sent twice),
# extend an exclusion that ends too soon, export what Topo holds, and
# remove a list of people who opted back in. Shows the summaries and where
# the reports, JSON summaries and HTML run pages are.
set -u
bin=${1:-bin/topo-exclusions}
out=$(mktemp -d "${TMPDIR:-/tmp}/topo-exclusions-demo.XXXXXX")
# The demo keeps its record of runs to itself.
export XDG_STATE_HOME="$out/state" XDG_CACHE_HOME="$out/cache"

"$bin" mock-server --addr 127.0.0.1:0 --rate 20 --burst 5 --latency 30ms --jitter 20ms \
  --fail-after-commit 0.1 --reset-rate 0.03 --seed 7 >"$out/mock.env" 2>"$out/mock.log" &
mock=$!
trap 'kill -INT $mock 2>/dev/null; wait $mock 2>/dev/null; cat "$out/mock.log"' EXIT
for _ in $(seq 200); do grep -q '^TOPO_API_KEY=' "$out/mock.env" 2>/dev/null && break; sleep 0.05; done
# The fake API's own URL and key (not a secret): TOPO_BASE_URL, TOPO_API_KEY.
set -a; . "$out/mock.env"; set +a

say() { printf '\n$ topo-exclusions %s\n' "$*"; "$bin" "$@"; echo "(exit $?)"; }

for f in dashboard excel-bom-semicolon messy accounts; do
  say import --default-reason other --report "$out/$f.report.csv" --failures "$out/$f.failures.csv" \
    --summary "$out/$f.summary.json" --html "$out/$f.html" "testdata/$f.csv"
done

echo
echo "The first list again: Topo already has it, so nothing is sent:"
say import --default-reason other --report "$out/again.report.csv" testdata/dashboard.csv

printf 'email,reason,until\ncarol@example.org,unsubscribed,\nnew.person@example.com,unsubscribed,\n' >"$out/longer.csv"
echo
echo "A list that asks for longer than Topo holds: carol@example.org, held until June 2099, is extended for good, not just 'exists':"
say plan "$out/longer.csv"
say import --existing extend "$out/longer.csv"

say export --output "$out/export.csv"
echo "First lines of the export:"
head -3 "$out/export.csv"

printf 'email\nalice@example.com\nnobody@example.com\n' >"$out/opted-back-in.csv"
say remove --dry-run "$out/opted-back-in.csv"
say remove --yes "$out/opted-back-in.csv"

echo
echo "Reports, failures files, JSON summaries and HTML run pages are in $out"
