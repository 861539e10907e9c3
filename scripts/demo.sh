#!/usr/bin/env bash
# make demo: check the bundled sample lists the way a user would, and show
# where the reports went. Reports are written to a temporary folder.
set -u
bin=${1:-bin/topo-exclusions}
out=$(mktemp -d "${TMPDIR:-/tmp}/topo-exclusions-demo.XXXXXX")
for f in testdata/dashboard.csv testdata/excel-bom-semicolon.csv testdata/messy.csv; do
  name=$(basename "$f" .csv)
  echo "\$ topo-exclusions validate --default-reason other $f"
  "$bin" validate --default-reason other \
    --report "$out/$name.report.csv" --failures "$out/$name.failures.csv" \
    --summary "$out/$name.summary.json" "$f"
  echo "(exit $?)"
  echo
done
echo "Reports, failures files and JSON summaries are in $out"
