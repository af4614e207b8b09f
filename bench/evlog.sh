#!/bin/sh
# Security log append throughput: chained evlog_write (flock, read the
# last line, hash, one write) beside the upstream approach, a plain
# unlocked O_APPEND write of the same pre-encoded line with no chain;
# one writer and four writer processes.
set -eu
dir=$(mktemp -d /tmp/secvf-bench-evlog-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$BENCH_BIN/evlog" "$dir"
