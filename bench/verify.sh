#!/bin/sh
# bench/verify.sh -- what the after-backup verification costs, as a
# multiple of the backup itself, for both kinds, in the same run.
#
#   bench/verify.sh [SIZE_MB]     (default 200; run after make)
#
# MySQL: the dataset of bench/mysql-data.sh, dumped by t/mysql-dump (gzip
# -6, 2 threads), then verified by the verifier alone (t/mysql-dump -W: the
# stream, the markers, the statements, no restore test).  SQLite: a
# database of SIZE_MB built by cairn-sqlite-bench, snapshotted, then
# verified the same way.  ROUNDS (2) rounds, interleaved; best of each.
# Target (issue 15): verification no slower than the backup (ratio <= 1).
set -eu
size_mb=${1:-200}
rounds=${ROUNDS:-2}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_need "$dump" "$sq"
# timed NAME CMD...: wall seconds appended to $W/t.NAME
timed() {
	n=$1
	shift
	t0=$(now)
	"$@" >"$W/last.out" 2>&1 || { say "bench: $n failed:"; cat "$W/last.out" >&2; exit 1; }
	echo "$(now) - $t0" | bc >>"$W/t.$n"
}
best() { sort -n "$W/t.$1" | head -n 1; }

say "bench: starting a server, loading ${size_mb} MB"
mariadb_start bench --innodb-buffer-pool-size=768M --max-allowed-packet=64M || exit 1
bench_mysql_data "$size_mb"
say "bench: building a SQLite database of ${size_mb} MB"
"$sq" build -w "$W/app.db" "$size_mb" >/dev/null
mkdir "$W/my" "$W/sq"
r=1
while [ $r -le "$rounds" ]; do
	say "bench: round $r"
	rm -f "$W/my"/* "$W/sq"/*
	timed mysql-backup "$dump" -o "$W/my" -S "$MARIADB_SOCK" -d bench -j 2 -l 6
	a=$(sed -n 's/^artifact //p' "$W/last.out")
	timed mysql-verify "$dump" -o "$W/my" -W "$a"
	timed sqlite-backup "$sq" snapshot -l 6 "$W/app.db" "$W/sq"
	timed sqlite-verify "$dump" -o "$W/sq" -W "$(ls "$W/sq" | grep '\.db\.')"
	r=$((r + 1))
done
printf '\n%s MB each, %s CPUs, load %s (best of %s)\n' "$size_mb" "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$rounds"
for k in mysql sqlite; do
	printf '%-7s backup %7.2f s  verify %7.2f s  verify/backup %.2f\n' "$k" \
	    "$(best $k-backup)" "$(best $k-verify)" \
	    "$(echo "$(best $k-verify) / $(best $k-backup)" | bc -l)"
done
