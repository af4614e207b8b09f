#!/bin/sh
# Detection latency of a VM's supervisor, cause -> event line in the
# security log, for a file dropped into the bundle, a permissions
# change and a malformed host channel frame from the guest, beside
# inotifywait -m (and a bare inotify read) seeing the same file change
# and the guest's own console echo of the frame's command line; then
# the supervisor's CPU use beside QEMU's with the guest idle and busy.
# The VM: the test guest, 128 MiB, 1 vCPU, virtual network, TCG.
# detect.conf sets ratelimit_interval = 0 so that every cause is
# reported: with the default, each class passes 20 causes per 10 s.
# ITERATIONS (default 40) sets the file drops and permission changes
# (the channel gets an eighth of them, at least 3: the supervisor
# reconnects 2-3 s after each); SECVF_BENCH_CPU_SECONDS (default 10)
# the length of each CPU window.
set -eu
secvf=${SECVF:-build/secvf}
here=$(cd "$(dirname "$0")/.." && pwd)
for tool in qemu-system-x86_64 inotifywait; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "detect: skipped: $tool not installed (make deps)"
		exit 0
	fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/secvf-bench-detect-XXXXXX")
export SECVF_HOME="$work/home" SECVF_ACCEL="${SECVF_ACCEL:-tcg}"

cleanup() {
	"$secvf" vm stop bench --force >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! images=$(sh "$here/tests/guest/build-guest.sh" 2>"$work/guest.err"); then
	echo "detect: skipped: the test guest cannot be built:"
	tail -n 3 "$work/guest.err" | sed 's/^/  /'
	exit 0
fi
eval "$(echo "$images" | grep -E '^(KERNEL|INITRD)=')"

mkdir -m 700 "$SECVF_HOME"
echo "ratelimit_interval = 0" >"$SECVF_HOME/detect.conf"
"$secvf" vm create bench --kernel "$KERNEL" --initrd "$INITRD" \
	--append "console=ttyS0 quiet panic=-1" --memory 128M --cpus 1 \
	--disk 64M --net virtual >/dev/null
"$secvf" vm start bench >/dev/null
i=0
until grep -q SECVF-GUEST-READY "$SECVF_HOME/run/bench/console.log" \
	2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 900 ]; then
		echo "detect: the guest did not boot in 180 s" >&2
		exit 1
	fi
	sleep 0.2
done

"$BENCH_BIN/detect" "$SECVF_HOME" bench "${ITERATIONS:-40}" \
	"${SECVF_BENCH_CPU_SECONDS:-10}"
