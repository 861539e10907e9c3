#!/usr/bin/env bash
# make demo: rehearse a real import. Starts the local fake Topo API on a
# free loopback port (with a rate limit, latency and a few faults, as
# production has), imports the bundled sample lists through it, shows the
# summaries and where the reports are, and stops the fake API.
set -u
bin=${1:-bin/topo-exclusions}
out=$(mktemp -d "${TMPDIR:-/tmp}/topo-exclusions-demo.XXXXXX")

"$bin" mock-server --addr 127.0.0.1:0 --rate 20 --burst 5 --latency 30ms --jitter 20ms \
  --fail-after-commit 0.1 --reset-rate 0.03 --seed 7 >"$out/mock.env" 2>"$out/mock.log" &
mock=$!
trap 'kill -INT $mock 2>/dev/null; wait $mock 2>/dev/null; cat "$out/mock.log"' EXIT
for _ in $(seq 200); do grep -q '^TOPO_API_KEY=' "$out/mock.env" 2>/dev/null && break; sleep 0.05; done
# The fake API's own URL and key (not a secret): TOPO_BASE_URL, TOPO_API_KEY.
set -a; . "$out/mock.env"; set +a

for f in testdata/dashboard.csv testdata/excel-bom-semicolon.csv testdata/messy.csv testdata/accounts.csv; do
  name=$(basename "$f" .csv)
  echo "\$ topo-exclusions import --default-reason other --rate 40 $f"
  "$bin" import --default-reason other --rate 40 \
    --report "$out/$name.report.csv" --failures "$out/$name.failures.csv" \
    --summary "$out/$name.summary.json" "$f"
  echo "(exit $?)"
  echo
done
echo "The first list again: Topo answers 409 for each row, and nothing is created twice:"
"$bin" import --quiet --rate 40 --report "$out/again.report.csv" --failures "$out/again.failures.csv" testdata/dashboard.csv
echo "(exit $?)"
echo
echo "Reports, failures files and JSON summaries are in $out"
