#!/bin/sh
# Chunked image hashing (2 GiB with data, page cache warm) beside
# `openssl speed -evp sha256` per core and beside sha256sum of the same
# file.  Target: one thread within 90% of openssl speed per core.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cores=$(nproc)

head -c 64M /dev/urandom > "$dir/r"
i=0
while [ $i -lt 32 ]; do cat "$dir/r"; i=$((i + 1)); done > "$dir/Disk.img"
rm "$dir/r"
cat "$dir/Disk.img" > /dev/null

# openssl speed prints kB/s (1000 bytes) in its last column.
ossl=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null |
	awk '/^sha256/ { v = $NF; sub(/k$/, "", v); print v / 1000 }')
out=$("$BENCH_BIN/hash" "$dir/Disk.img")
one=$(echo "$out" | awk '$1 == "imghash-1-thread" { print $2 }')
all=$(echo "$out" | awk '$1 == "imghash-all-cores" { print $2 }')

t0=$(date +%s.%N)
openssl dgst -sha256 "$dir/Disk.img" > /dev/null
t1=$(date +%s.%N)
dgst=$(echo "$t0 $t1" | awk '{ printf "%.0f", 2147483648 / ($2 - $1) / 1e6 }')

t0=$(date +%s.%N)
sha256sum "$dir/Disk.img" > /dev/null
t1=$(date +%s.%N)
sum=$(echo "$t0 $t1" | awk '{ printf "%.0f", 2147483648 / ($2 - $1) / 1e6 }')

printf '%-34s %8s MB/s\n' "openssl speed sha256 (1 core)" "$ossl"
printf '%-34s %8s MB/s  %s of openssl per core\n' "imghash, 1 thread" "$one" \
	"$(echo "$one $ossl" | awk '{ printf "%.0f%%", 100 * $1 / $2 }')"
printf '%-34s %8s MB/s  %s of openssl x %s cores\n' \
	"imghash, $cores threads" "$all" \
	"$(echo "$all $ossl $cores" | awk '{ printf "%.0f%%", 100*$1/($2*$3) }')" \
	"$cores"
printf '%-34s %8s MB/s  imghash 1 thread is %sx of it\n' \
	"openssl dgst -sha256 (with reads)" "$dgst" \
	"$(echo "$one $dgst" | awk '{ printf "%.2f", $1 / $2 }')"
printf '%-34s %8s MB/s  imghash is %sx faster\n' "sha256sum (coreutils)" \
	"$sum" "$(echo "$all $sum" | awk '{ printf "%.1f", $1 / $2 }')"
