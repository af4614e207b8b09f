#!/bin/sh
# Snapshot a 16 GiB sparse VM bundle holding 2 GiB of data:
#   secvf vm snapshot on XFS (reflink) and on this filesystem (fallback
#   copy that keeps holes), each beside the baseline
#   `cp -a --reflink=auto` of the same bundle on the same filesystem.
# SECVF_BENCH_DATA_MB changes the amount of data (default 2048).
# The XFS half needs root and loop devices; without them it is skipped.
set -eu
secvf=${SECVF:-build/secvf}
data_mb=${SECVF_BENCH_DATA_MB:-2048}
chunk_mb=64
chunks=$(( (data_mb + chunk_mb - 1) / chunk_mb ))
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secvf-bench-XXXXXX")
mnt=$work/xfs
mounted=0

cleanup() {
	[ "$mounted" = 0 ] || umount "$mnt" 2>/dev/null || true
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }
secs() { echo "$1" | awk '{ printf "%.3f", $1 / 1e9 }'; }
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}
drop_caches() {
	sync
	[ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
	# Time the data, not loading the programs and their libraries.
	"$secvf" --version >/dev/null
	cp --version >/dev/null
}

# A 64 MiB random chunk, written at spread offsets into the disk.
dd if=/dev/urandom of="$work/chunk" bs=1M count=$chunk_mb status=none

make_bundle() { # HOME
	mkdir -m 700 "$1"
	SECVF_HOME=$1 "$secvf" vm create src --disk 16G >/dev/null
	disk=$1/Linux/src.bundle/Disk.img
	i=0
	while [ $i -lt $chunks ]; do
		dd if="$work/chunk" of="$disk" bs=1M \
			seek=$((i * 16384 / chunks)) conv=notrunc status=none
		i=$((i + 1))
	done
	sync
}

used_mb() { df -P -B1M "$1" | awk 'NR == 2 { print $3 }'; }

# Time secvf vm snapshot, and cp -a --reflink=auto followed by a sync
# (secvf syncs what it writes; a fair baseline does too), in HOME.
run_pair() { # LABEL HOME RESULT-VARIABLE
	drop_caches
	u0=$(used_mb "$2")
	t0=$(now_ns)
	SECVF_HOME=$2 "$secvf" vm snapshot src --as snap >"$work/out"
	t1=$(now_ns)
	u1=$(used_mb "$2")
	method=$(sed -n "s/.* by \(.*\) in .*/\1/p" "$work/out")
	drop_caches
	t2=$(now_ns)
	cp -a --reflink=auto "$2/Linux/src.bundle" "$2/cp.bundle"
	sync -f "$2/cp.bundle/Disk.img"
	t3=$(now_ns)
	ours=$((t1 - t0))
	base=$((t3 - t2))
	printf '%-8s secvf snapshot (%s) %8s s, %5s MiB more used | ' \
		"$1" "$method" "$(secs $ours)" "$((u1 - u0))"
	printf 'cp -a --reflink=auto + sync %8s s | ratio %s\n' \
		"$(secs $base)" "$(ratio $ours $base)"
	eval "${3}=$ours"
}

echo "bundle: 16 GiB sparse Disk.img with $((chunks * chunk_mb)) MiB of data"

xfs_ns=
if command -v mkfs.xfs >/dev/null && [ "$(id -u)" = 0 ]; then
	truncate -s $((data_mb * 3 + 1024))M "$work/xfs.img"
	mkfs.xfs -q -m reflink=1 "$work/xfs.img"
	mkdir "$mnt"
	if mount -o loop "$work/xfs.img" "$mnt" 2>/dev/null; then
		mounted=1
		make_bundle "$mnt/home"
		run_pair xfs "$mnt/home" xfs_ns
	fi
fi
[ -n "$xfs_ns" ] || echo "xfs: skipped (needs root, mkfs.xfs and loop devices)"

fs=$(stat -f -c %T "$work" | cut -d/ -f1)
make_bundle "$work/home"
run_pair "$fs" "$work/home" copy_ns

if [ -n "$xfs_ns" ]; then
	echo "reflink vs fallback copy: $(ratio "$xfs_ns" "$copy_ns")" \
		"(reflink takes that fraction of the copy's time)"
fi
