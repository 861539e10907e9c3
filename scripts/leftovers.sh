#!/usr/bin/env bash
# leftovers.sh CMD...: runs CMD (make test's go test), then fails if it
# left any file in the tree that was not there before — tracked or not,
# ignored or not. Tests write into temporary folders only; a file beside
# a sample or a package is a test that forgot its own folder.
set -uo pipefail
cd "$(dirname "$0")/.."
list() { git ls-files --others --ignored --exclude-standard -z | tr '\0' '\n' | grep -v '^bin/\|^bench-results/\|^man/' | sort; }
before=$(mktemp); after=$(mktemp)
trap 'rm -f "$before" "$after"' EXIT
list >"$before"
"$@"
status=$?
list >"$after"
left=$(comm -13 "$before" "$after")
if [ -n "$left" ]; then
  echo "tests left files in the tree:" >&2
  echo "$left" >&2
  exit 1
fi
exit $status
