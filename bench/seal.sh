#!/bin/sh
# Sealing 600 MiB of logs and captures (half compressible text, half
# random) with secvf's zstd path, beside `tar czf` + `sha256sum`.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export SECVF_HOME="$dir/home"
ev="$dir/ev"
mkdir -p "$ev/logs" "$ev/captures"

seq 1 4000000 | awk '{ printf "{\"ts\":\"2026-12-03T19:%02d:%02d.%06dZ\",\"severity\":\"INFO\",\"subsystem\":\"network\",\"event\":\"switch.drop\",\"vm\":\"lab%d\",\"seq\":%d}\n", ($1/60)%60, $1%60, $1%999999, $1%7, $1 }' |
	head -c 300M > "$ev/logs/network.log"
for i in 1 2 3; do
	head -c 100M /dev/urandom > "$ev/captures/lab$i.pcap"
done
cat "$ev"/*/* > /dev/null
"$SECVF" key generate > /dev/null

t0=$(date +%s.%N)
"$SECVF" evidence seal -o "$dir/b.tar.zst" "$ev" > /dev/null
t1=$(date +%s.%N)
(cd "$dir" && tar czf b.tar.gz ev && sha256sum b.tar.gz > /dev/null)
t2=$(date +%s.%N)

echo "$t0 $t1 $t2 $(stat -c %s "$dir/b.tar.zst") $(stat -c %s "$dir/b.tar.gz")" |
awk '{
	printf "%-30s %6.2f s  %6.1f MiB\n", "secvf evidence seal (zstd)", $2 - $1, $4 / 1048576
	printf "%-30s %6.2f s  %6.1f MiB\n", "tar czf + sha256sum", $3 - $2, $5 / 1048576
	printf "secvf is %.1fx faster\n", ($3 - $2) / ($2 - $1)
}'
"$SECVF" evidence verify "$dir/b.tar.zst" > /dev/null
