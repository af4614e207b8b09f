#!/bin/sh
# Ingesting one million security event lines into a fresh case database
# (casedb_ingest_file), beside the sqlite3 shell doing the same by hand:
# .import the lines into a one-column table, then INSERT ... SELECT
# json_extract(...) into an events table of the same shape (a unique
# line hash, the ts index), in one transaction, WAL and synchronous=FULL
# as secvf uses.  BENCH_LINES changes the count.
set -eu
n=${BENCH_LINES:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
log=$tmp/security-2026-12-03.log

"$BENCH_BIN/casedb" gen "$n" "$log"
sync

now() { date +%s.%N; }

set -- $("$BENCH_BIN/casedb" ingest "$tmp/cases.db" "$log")
secvf=$1
cpu=$2
added=$3

t0=$(now)
sqlite3 "$tmp/baseline.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA cache_size = -262144;
CREATE TABLE raw (line TEXT);
CREATE TABLE events (id INTEGER PRIMARY KEY, ts TEXT NOT NULL,
  severity TEXT NOT NULL, subsystem TEXT NOT NULL, event TEXT NOT NULL,
  vm TEXT, host TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
  prev TEXT NOT NULL, line_hash TEXT NOT NULL UNIQUE, source TEXT NOT NULL);
CREATE INDEX events_ts ON events(ts);
BEGIN;
.mode ascii
.separator "\037" "\n"
.import $log raw
INSERT OR IGNORE INTO events (ts, severity, subsystem, event, vm, host,
  seq, data, prev, line_hash, source)
SELECT json_extract(line, '\$.ts'), json_extract(line, '\$.severity'),
  json_extract(line, '\$.subsystem'), json_extract(line, '\$.event'),
  json_extract(line, '\$.vm'), json_extract(line, '\$.host'),
  json_extract(line, '\$.seq'), json_extract(line, '\$.data'),
  json_extract(line, '\$.prev'), lower(hex(sha3(line, 256))), '$log'
FROM raw WHERE json_valid(line);
DROP TABLE raw;
COMMIT;
SQL
t1=$(now)
base=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
rows=$(sqlite3 "$tmp/baseline.db" 'SELECT count(*) FROM events')

echo "ingest $n event lines into a fresh database ($(nproc) cores," \
	"load $(cut -d" " -f1 /proc/loadavg))"
printf '  secvf casedb_ingest_file   %8.3f s  %s events' "$secvf" "$added"
printf ' (%.1f s CPU, 2 threads)\n' "$cpu"
printf '  sqlite3 .import + json     %8.3f s  %s events\n' "$base" "$rows"
echo "$secvf $base" |
	awk '{ printf "  ratio secvf / sqlite3      %8.2f\n", $1 / $2 }'
