#!/bin/sh
# Frames a second through secvf's lab switch (every detector on, the
# virtual mode, QEMU's stream framing) beside Debian's vde_switch
# forwarding the same traffic between two of its ports; 64-byte and
# 1500-byte frames, one write per frame as QEMU sends them.
set -eu
command -v vde_switch >/dev/null || {
	echo "switch: vde_switch is missing (apt-get install vde2)"
	exit 0
}
dir=$(mktemp -d /tmp/secvf-bench-sw-XXXXXX)
export SECVF_HOME="$dir/home"
mkdir -m 700 "$SECVF_HOME"
cleanup() {
	"$SECVF" net down bench >/dev/null 2>&1 || true
	[ -f "$dir/vde.pid" ] && kill "$(cat "$dir/vde.pid")" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

"$SECVF" net create bench --mode virtual >/dev/null
"$SECVF" net up bench >/dev/null
a=$("$SECVF" net port bench a)
b=$("$SECVF" net port bench b)
vde_switch -s "$dir/vde" -d -p "$dir/vde.pid"
sleep 0.3

printf '%-8s %14s %14s %7s\n' size "secvf fps" "vde_switch fps" ratio
for spec in "64 300000" "1500 150000"; do
	set -- $spec
	ours=$("$BENCH_BIN/netgen" stream "$a" "$b" "$1" "$2" | cut -d' ' -f3)
	theirs=$("$BENCH_BIN/netgen" vde "$dir/vde" "$1" "$2" | cut -d' ' -f3)
	printf '%-8s %14s %14s %7s\n' "$1" "$ours" "$theirs" \
		"$(awk "BEGIN { printf \"%.2fx\", $ours / $theirs }")"
done
"$SECVF" net show bench | sed -n '/^drops:/,$p'
