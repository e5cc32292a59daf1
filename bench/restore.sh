#!/bin/sh
# bench/restore.sh -- the restore of a MySQL dump: `cairnctl restore`
# against `gunzip -c | mariadb` on the same artifact and server, and
# myloader on a mydumper dump of the same data, interleaved, in one run.
#
#   bench/restore.sh [SIZE_MB]     (default 200; run after make)
#
# Builds the dataset of bench/mysql-data.sh on a source server, dumps it
# with cairn's engine (t/mysql-dump, gzip -6) and with mydumper --threads 2
# --compress, then ROUNDS (2) times on a second server, each into an
# empty database:
#   stock       gunzip -c ARTIFACT | mariadb
#   cairn -jN   cairnctl restore ARTIFACT --jobs N, for N in JOBS ("1 2 4")
#   cairn -jN-nodefer  the same with --no-defer-keys, when NODEFER=1
#   myloader    myloader --threads 2 (its own dump of the same data)
# and prints each one's best time and ratio to the stock restore (> 1:
# faster), plus CHECKSUM TABLE of every table after each (all must agree).
# Target (issue 15): cairnctl restore >= 1.5x the stock restore.
# EXTRA_KEYS=N (1 to 4) gives orders N more secondary keys before the
# dumps: a table with several keys, where adding them after the rows
# (cairnctl restore's default, NODEFER=1 compares) matters most.
set -eu
size_mb=${1:-200}
rounds=${ROUNDS:-2}
jobs_list=${JOBS:-1 2 4}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_need "$dump" "$ctl"

srv="--innodb-buffer-pool-size=768M --innodb-log-file-size=256M --max-allowed-packet=64M"
say "bench: starting two servers"
mariadb_start dst $srv || exit 1
mariadb_start src $srv || exit 1
say "bench: loading ${size_mb} MB"
bench_mysql_data "$size_mb"
if [ "${EXTRA_KEYS:-0}" -gt 0 ]; then
	mariadb_client "$src_SOCK" -e "ALTER TABLE bench.orders $(printf '%s\n' \
	    'ADD KEY (created)' 'ADD KEY (status, created)' \
	    'ADD KEY (note(20))' 'ADD KEY (code)' | head -n "$EXTRA_KEYS" |
	    paste -sd, -)" || exit 1
fi
mkdir "$W/cairn" "$W/mydumper"
"$dump" -o "$W/cairn" -S "$src_SOCK" -d bench -j 2 -l 6 -s 1700000000 \
    >"$W/dump.out"
art=$W/cairn/$(sed -n 's/^artifact //p' "$W/dump.out")
mydumper -S "$src_SOCK" -u root -B bench --threads 2 --compress \
    -o "$W/mydumper" >/dev/null 2>&1
mariadb_client "$src_SOCK" -e "SHUTDOWN" >/dev/null 2>&1 || true
say "bench: artifact $(stat -c %s "$art") bytes, $(gzip -dc "$art" | wc -c) bytes of SQL"

d() { mariadb_client "$dst_SOCK" "$@"; }
checksum() { d -N -e "CHECKSUM TABLE bench.orders, bench.blobs, bench.docs EXTENDED" |
    awk '{ printf "%s ", $2 }'; }

# each tool: its command (run with "$@" = nothing), times in $W/t.NAME
run() {
	name=$1
	shift
	d -e "DROP DATABASE IF EXISTS bench"
	t0=$(now)
	/usr/bin/time -f '%U %S' -o "$W/cpu" "$@" >"$W/$name.out" 2>"$W/$name.err" || {
		say "bench: $name failed:"; sed 's/^/  /' "$W/$name.err" >&2; exit 1; }
	t=$(echo "$(now) - $t0" | bc)
	echo "$t $(awk '{ print $1 + $2 }' "$W/cpu")" >>"$W/t.$name"
	say "bench: $name $t s"
	echo "$name $(checksum)" >>"$W/sums"
}

gzip -dc "$art" >/dev/null	# the page cache, for everyone
r=1
while [ $r -le "$rounds" ]; do
	say "bench: round $r"
	run stock sh -c 'gzip -dc "$1" | "$2" --no-defaults -uroot --socket="$3"' \
	    sh "$art" "$MARIADB_CLIENT_BIN" "$dst_SOCK"
	for j in $jobs_list; do
		run "cairn-j$j" "$ctl" restore "$art" --socket "$dst_SOCK" \
		    --user root --jobs "$j"
		if [ "${NODEFER:-0}" = 1 ] && [ "$j" -gt 1 ]; then
			run "cairn-j$j-nodefer" "$ctl" restore "$art" \
			    --socket "$dst_SOCK" --user root --jobs "$j" \
			    --no-defer-keys
		fi
	done
	run myloader myloader -S "$dst_SOCK" -u root -d "$W/mydumper" \
	    --threads 2 -o
	r=$((r + 1))
done

best() { sort -n "$W/t.$1" | head -n 1 | cut -d' ' -f1; }
cpu() { sort -n "$W/t.$1" | head -n 1 | cut -d' ' -f2; }
b_stock=$(best stock)
printf '\ndataset: %s MB of SQL (%s bytes gzip -6), %s CPUs, load %s\n' \
    "$(( $(gzip -dc "$art" | wc -c) / 1048576 ))" "$(stat -c %s "$art")" \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-30s %9s %12s %12s\n' "restore (best of $rounds)" seconds "vs stock" "client CPU s"
for n in stock $(for j in $jobs_list; do echo "cairn-j$j"; [ -f "$W/t.cairn-j$j-nodefer" ] && echo "cairn-j$j-nodefer"; done) myloader; do
	b=$(best "$n")
	printf '%-30s %9.2f %11.2fx %12s\n' "$n" "$b" "$(echo "$b_stock / $b" | bc -l)" "$(cpu "$n")"
done
n_sums=$(grep -v '^myloader' "$W/sums" | cut -d' ' -f2- | sort -u | wc -l)
printf 'CHECKSUM TABLE: %s\n' "$(if [ "$n_sums" = 1 ]; then echo "the same after every stock and cairn restore"; else echo "DIFFERENT:"; cat "$W/sums"; fi)"
printf "checksums: %s\n" "$(sort -u "$W/sums" | tr "\n" ";")"
