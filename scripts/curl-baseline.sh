#!/usr/bin/env bash
# curl-baseline.sh BASE_URL KEY JOBS LIST.csv: what a shell user does
# instead of topo-exclusions, the baseline BenchmarkImportShapes measures
# it against: every email of the list (the "email" column, a mailto:
# taken off; rows without one are skipped) POSTed to
# /v1/contact-exclusions with curl, JOBS at a time through GNU parallel,
# curl retrying a 429 as it does by itself (--retry, which honours
# Retry-After). Prints how many rows ended with each HTTP status
# ("STATUS COUNT", 000: no answer). Every answer a retry met, 429s
# included, is counted by the server, not here.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: curl-baseline.sh BASE_URL KEY JOBS LIST.csv" >&2
  exit 2
fi
url=$1 key=$2 jobs=$3 list=$4
for tool in parallel curl; do
  command -v "$tool" >/dev/null || { echo "curl-baseline: $tool is not installed" >&2; exit 2; }
done
col=$(head -n 1 "$list" | tr -d '\r' | tr ',' '\n' | grep -n -x -i email | cut -d: -f1)
if [ -z "$col" ]; then
  echo "curl-baseline: $list has no email column" >&2
  exit 2
fi
# -q quotes each word of the command for the shell parallel starts, so
# the headers and the JSON reach curl as one argument each; {} is still
# replaced, quoted. Bodies go to the pipe, not to -o /dev/null, which
# curl cannot truncate for a retry (error 23); the status is the line of
# three digits after each job's bodies (a JSON body never is).
# The key goes to curl in a file (-H @FILE), never on a command line
# that ps shows, as anyone copying this for a real key would need.
headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
chmod 600 "$headers"
printf 'Authorization: Bearer %s\nContent-Type: application/json\n' "$key" > "$headers"
tail -n +2 "$list" | cut -d, -f"$col" | sed 's/^mailto://' | grep -v '^$' |
  parallel --will-cite -q -j "$jobs" curl -sS -w '\n%{http_code}\n' --retry 20 \
    -X POST -H @"$headers" \
    -d '{"reason":"OTHER","email":"{}"}' "$url/v1/contact-exclusions" |
  grep -x '[0-9][0-9][0-9]' | sort | uniq -c | awk '{print $2, $1}'
