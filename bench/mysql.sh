#!/bin/sh
# bench/mysql.sh -- cairn's mysql dump against the usual tools, measured in
# the same run on the same throwaway server.
#
#   bench/mysql.sh [SIZE_MB]      (default 1024; run from anywhere after make)
#
# Builds a database of about SIZE_MB of table data (orders with numbers,
# dates, enums and text; a table of binary blobs; a JSON table), then
# times, each once after a warm-up read:
#   cairn       t/mysql-dump (the engine), gzip level 6, 2 threads
#   mysqldump   mariadb-dump --single-transaction --quick --hex-blob | gzip -6
#   +pigz       the same | pigz -6 -p 2
#   mydumper    mydumper --threads 2 --compress
# and prints seconds, output bytes, speed-up of cairn and cairn's peak RSS.
# Targets: >= 4x mysqldump|gzip, >= 2x |pigz and mydumper, output no larger
# than gzip -6's, peak RSS < 64 MiB.  Needs the build's t/mysql-dump
# (make check builds it, or make t/mysql-dump).
set -eu
size_mb=${1:-1024}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_need "$dump"

say "bench: starting a server"
mariadb_start bench --innodb-buffer-pool-size=1536M --innodb-log-file-size=512M \
    --max-allowed-packet=64M || exit 1

say "bench: loading ${size_mb} MB"
t0=$(date +%s)
bench_mysql_data "$size_mb"
say "bench: loaded in $(( $(date +%s) - t0 )) s; $(mdb -N -e "SELECT ROUND(SUM(DATA_LENGTH)/1048576)
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench'") MB of table data"
mdb -N -e "SELECT COUNT(*) FROM bench.orders; SELECT SUM(LENGTH(data)) FROM bench.blobs;
    SELECT COUNT(*) FROM bench.docs" >/dev/null

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

mkdir "$W/cairn" "$W/mydumper"
# warm-up: one untimed cairn run (caches, the server's buffers)
"$dump" -o "$W/cairn" -S "$MARIADB_SOCK" -d bench -j 2 >/dev/null 2>&1
rm -f "$W/cairn"/*

t0=$(now)
/usr/bin/time -f '%M' -o "$W/cairn.rss" "$dump" -o "$W/cairn" -S "$MARIADB_SOCK" \
    -d bench -j 2 -l 6 -s 1700000000 >"$W/cairn.out"
t_cairn=$(elapsed "$t0" "$(now)")
s_cairn=$(stat -c %s "$W/cairn"/*.sql.gz)
raw=$(sed -n 's/^bytes \([0-9]*\) .*/\1/p' "$W/cairn.out")

md="mariadb-dump --no-defaults -uroot --socket=$MARIADB_SOCK --single-transaction --quick --hex-blob bench"
t0=$(now)
$md | gzip -6 >"$W/md.sql.gz"
t_gzip=$(elapsed "$t0" "$(now)")
s_gzip=$(stat -c %s "$W/md.sql.gz")

t0=$(now)
$md | pigz -6 -p 2 >"$W/mdp.sql.gz"
t_pigz=$(elapsed "$t0" "$(now)")
s_pigz=$(stat -c %s "$W/mdp.sql.gz")

t0=$(now)
mydumper -S "$MARIADB_SOCK" -u root -B bench --threads 2 --compress \
    -o "$W/mydumper" >/dev/null 2>&1
t_myd=$(elapsed "$t0" "$(now)")
s_myd=$(du -sb "$W/mydumper" | cut -f1)

rss_kb=$(tail -n 1 "$W/cairn.rss")
printf '\ndataset: %s MB of dump text (cairn raw bytes %s), %s CPUs, load %s\n' \
    "$((raw / 1048576))" "$raw" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %9s %14s %9s\n' tool seconds bytes "cairn is"
row() { printf '%-28s %9.2f %14s %8.2fx\n' "$1" "$2" "$3" "$(echo "$2 / $t_cairn" | bc -l)"; }
row "cairn (gzip -6, 2 threads)" "$t_cairn" "$s_cairn"
row "mysqldump | gzip -6" "$t_gzip" "$s_gzip"
row "mysqldump | pigz -6 -p 2" "$t_pigz" "$s_pigz"
row "mydumper --threads 2 -c" "$t_myd" "$s_myd"
printf 'cairn peak RSS: %s KiB (%s MiB)\n' "$rss_kb" "$((rss_kb / 1024))"
printf 'cairn output vs gzip -6: %.3f\n' "$(echo "$s_cairn / $s_gzip" | bc -l)"
