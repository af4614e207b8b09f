#!/bin/sh
# Pause latency ("stop" sent -> STOP event) through secvf's QMP client,
# beside socat run once per command as a shell script would, on the
# same QEMU.  ITERATIONS (default 200) sets the number of pauses.
set -u
for tool in qemu-system-x86_64 socat; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "qmp_pause: skipped: $tool not installed (make deps)"
		exit 0
	fi
done
exec "$BENCH_BIN/qmp_pause" "${ITERATIONS:-200}"
