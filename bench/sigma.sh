#!/bin/sh
# Sigma evaluation throughput on one core: the engine with the five
# shipped rules and with 200 generated ones, on events parsed
# beforehand and on raw lines (JSON parsing included), beside
# baselines over the same lines: grep -c -E with an alternation
# equivalent to the five rules (text only, no JSON), and jq selecting
# the same events (parses JSON, like the raw run).
set -eu
dir=$(mktemp -d /tmp/secvf-bench-sigma-XXXXXX)
trap 'rm -rf "$dir"' EXIT
n=200000
rules=$(cd "$(dirname "$0")/../detect/rules" && pwd)
one=""
command -v taskset >/dev/null 2>&1 && one="taskset -c 0"

"$BENCH_BIN/sigma" gen "$dir" "$n"
now() { date +%s%N; }
rate() { awk -v n="$n" -v ns="$1" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }

five=$($one "$BENCH_BIN/sigma" run "$rules" "$dir/events.jsonl")
many=$($one "$BENCH_BIN/sigma" run "$dir/rules200" "$dir/events.jsonl")

alt='"severity":"EMERGENCY"|"subsystem":"iso-cache","event":"checksum\.mismatch"|"subsystem":"fsevents","event":"file\.unexpected"|"subsystem":"virtiofs","event":"symlink\.escape-attempt"|"subsystem":"network","event":"switch\.drop"'
t0=$(now)
g=$($one grep -c -E -i "$alt" "$dir/events.jsonl" || true)
grep_eps=$(rate $(( $(now) - t0 )))

jq_eps=""
if command -v jq >/dev/null 2>&1; then
	t0=$(now)
	j=$($one jq -c 'select((.severity|ascii_downcase)=="emergency"
		or (.subsystem=="iso-cache" and .event=="checksum.mismatch")
		or (.subsystem=="fsevents" and .event=="file.unexpected")
		or (.subsystem=="virtiofs" and .event=="symlink.escape-attempt")
		or (.subsystem=="network" and .event=="switch.drop"))' \
		"$dir/events.jsonl" | wc -l)
	jq_eps=$(rate $(( $(now) - t0 )))
fi

echo "$n events, one core; matching events: grep $g${jq_eps:+, jq $j}"
echo "$five" | awk -v tag="5 rules" -v g="$grep_eps" -v j="$jq_eps" '
{ printf "  sigma %-7s %-9s %10d events/s (%d matches)", tag, $1, $2, $3
  if ($1 == "preparsed") printf "  %.2fx grep -c -E", $2 / g
  if ($1 == "raw" && j != "") printf "  %.2fx jq", $2 / j
  printf "\n" }'
echo "$many" | awk -v tag="200" '
{ printf "  sigma %-7s %-9s %10d events/s (%d matches)\n", tag " rules", $1, $2, $3 }'
echo "  baseline grep -c -E -i alternation  $grep_eps events/s"
[ -z "$jq_eps" ] || echo "  baseline jq select                  $jq_eps events/s"
