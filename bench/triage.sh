#!/bin/sh
# Triage of a reference lab beside the same work done with standard
# tools, side by side on the same filesystem:
#   the lab: a VM with a 16 GiB sparse disk holding 2 GiB of data and
#   1 GiB of RAM, running the test guest; 512 MiB of captures; 100 MiB
#   of security logs.
#   secvf:    secvf triage VM (pause, clone, memory dump, collect, hash,
#             seal, record)
#   baseline: cp -a of the bundle, cp of logs and captures, tar czf of
#             the lot, sha256sum of everything (no memory dump at all)
# The lab lives on an XFS loop mount with reflink (as a lab should)
# when root can make one, else on this filesystem; it says which.
# SECVF_BENCH_DATA_MB, SECVF_BENCH_MEM and SECVF_BENCH_CAPTURE_MB change
# the sizes (defaults 2048, 1G, 512).
set -eu
secvf=${SECVF:-build/secvf}
here=$(cd "$(dirname "$0")/.." && pwd)
data_mb=${SECVF_BENCH_DATA_MB:-2048}
capture_mb=${SECVF_BENCH_CAPTURE_MB:-512}
mem=${SECVF_BENCH_MEM:-1G}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secvf-bench-XXXXXX")
mounted=0

cleanup() {
	SECVF_HOME=$work/lab/home "$secvf" vm stop lab --force \
		>/dev/null 2>&1 || true
	for i in 1 2 3 4 5; do
		[ "$mounted" = 0 ] || umount "$work/lab" 2>/dev/null && break
		sleep 1
	done
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }
secs() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# The lab's filesystem.
mkdir "$work/lab"
fs="$(df -T "$work" | awk 'NR == 2 { print $2 }')"
if [ "$(id -u)" = 0 ] && command -v mkfs.xfs >/dev/null &&
	truncate -s 40G "$work/xfs.img" &&
	mkfs.xfs -q -m reflink=1 "$work/xfs.img" 2>/dev/null &&
	mount -o loop "$work/xfs.img" "$work/lab" 2>/dev/null; then
	mounted=1
	fs="xfs (reflink)"
fi
export SECVF_HOME="$work/lab/home" SECVF_ACCEL="${SECVF_ACCEL:-tcg}"
mkdir -m 700 "$SECVF_HOME"
echo "lab on $fs: ${data_mb} MiB in a 16 GiB disk, $mem RAM," \
	"${capture_mb} MiB captures, 100 MiB logs"

# The VM, its data, the captures and the logs.
eval "$(sh "$here/tests/guest/build-guest.sh" | grep -E '^(KERNEL|INITRD)=')"
"$secvf" vm create lab --kernel "$KERNEL" --initrd "$INITRD" \
	--append "console=ttyS0 quiet panic=-1" --memory "$mem" --cpus 1 \
	--disk 16G --net virtual >/dev/null
bundle="$SECVF_HOME/Linux/lab.bundle"
dd if=/dev/urandom of="$work/chunk" bs=1M count=64 status=none
i=0
while [ $((i * 64)) -lt "$data_mb" ]; do
	dd if="$work/chunk" of="$bundle/Disk.img" bs=1M seek=$((i * 256)) \
		conv=notrunc status=none
	i=$((i + 1))
done
mkdir -p "$SECVF_HOME/Captures" "$SECVF_HOME/logs"
i=0
while [ $((i * 64)) -lt "$capture_mb" ]; do
	cp "$work/chunk" "$SECVF_HOME/Captures/lab-$i.pcap"
	i=$((i + 1))
done
awk -v day="$(date -u +%F)" 'BEGIN {
	line = sprintf("{\"ts\":\"%sT00:00:00.000000Z\",\"severity\":" \
		"\"INFO\",\"subsystem\":\"network\",\"event\":\"switch.drop\"," \
		"\"vm\":\"lab\",\"host\":\"h\",\"seq\":1,\"data\":{\"reason\":" \
		"\"queue\",\"count\":3},\"prev\":\"%064d\"}", day, 0)
	for (n = 0; n < 100 * 1024 * 1024 / (length(line) + 1); n++)
		print line
}' > "$SECVF_HOME/logs/security-$(date -u +%F).log"
rm -f "$work/chunk"

"$secvf" vm start lab >/dev/null
until grep -q SECVF-GUEST-READY "$SECVF_HOME/run/lab/console.log" \
	2>/dev/null; do sleep 0.2; done
sync

# secvf: one command.
t0=$(now_ns)
"$secvf" triage lab >"$work/triage.out"
t1=$(now_ns)
triage_ns=$((t1 - t0))
grep -E '^(pause|snapshot|memory|collect|hash|seal|record) ' \
	"$work/triage.out" | sed 's/^/  /'
sync

# Baseline: the same collection with standard tools, same filesystem.
std="$work/lab/std"
t0=$(now_ns)
mkdir -p "$std"
cp -a "$bundle" "$std/bundle"
cp -a "$SECVF_HOME/logs" "$std/logs"
cp -a "$SECVF_HOME/Captures" "$std/captures"
tar czf "$work/lab/std.tar.gz" -C "$work/lab" std
(cd "$std" && find . -type f -exec sha256sum {} + >"$work/lab/std.sha256")
sha256sum "$work/lab/std.tar.gz" >>"$work/lab/std.sha256"
t1=$(now_ns)
std_ns=$((t1 - t0))

echo "secvf triage                         $(secs $triage_ns) s"
echo "cp -a + cp + tar czf + sha256sum     $(secs $std_ns) s"
echo "ratio (baseline / secvf)             $(ratio $std_ns $triage_ns)x" \
	"(target: at least 5x; triage under 15 s)"
