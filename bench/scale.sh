#!/bin/sh
# bench/scale.sh -- does any step grow faster than the number of tables?
# For N in TABLES ("10 100 1000"): a database of N tables of ROWS (200)
# rows each (a primary key, a secondary index), then the times of the
# dump (t/mysql-dump, 2 threads), the verifier alone (t/mysql-dump -W),
# `cairnctl restore` (--jobs JOBS, 4) and `gunzip -c | mariadb` into an
# empty database of a second server; per-table milliseconds show whether
# a step is linear.
#
#   bench/scale.sh      (run after make; a few minutes)
set -eu
tables=${TABLES:-10 100 1000}
rows=${ROWS:-200}
jobs=${JOBS:-4}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_need "$dump" "$ctl"
timed() {
	t0=$(now)
	"$@" >"$W/last.out" 2>&1 || { say "bench: $* failed:"; cat "$W/last.out" >&2; exit 1; }
	echo "$(now) - $t0" | bc
}

mariadb_start dst --innodb-buffer-pool-size=256M || exit 1
mariadb_start src --innodb-buffer-pool-size=256M || exit 1
d() { mariadb_client "$dst_SOCK" "$@"; }
printf '%-7s %9s %9s %9s %9s %9s   (seconds; ms per table)\n' tables dump verify \
    restore stock-rst ms/table
for n in $tables; do
	say "bench: $n tables"
	mdb -e "DROP DATABASE IF EXISTS bench"
	bench_mysql_tables "$n" "$rows"
	rm -rf "$W/out"
	mkdir "$W/out"
	t_dump=$(timed "$dump" -o "$W/out" -S "$src_SOCK" -d bench -j 2)
	a=$(sed -n 's/^artifact //p' "$W/last.out")
	t_ver=$(timed "$dump" -o "$W/out" -W "$a")
	d -e "DROP DATABASE IF EXISTS bench"
	t_rst=$(timed "$ctl" restore "$W/out/$a" --socket "$dst_SOCK" --user root --jobs "$jobs")
	d -e "DROP DATABASE bench"
	t_stock=$(timed sh -c 'gzip -dc "$1" | "$2" --no-defaults -uroot --socket="$3"' \
	    sh "$W/out/$a" "$MARIADB_CLIENT_BIN" "$dst_SOCK")
	printf '%-7s %9.2f %9.2f %9.2f %9.2f %9s\n' "$n" "$t_dump" "$t_ver" "$t_rst" \
	    "$t_stock" "$(echo "$n" "$t_dump" "$t_ver" "$t_rst" | awk '{
	        printf "%.0f/%.0f/%.0f", 1000 * $2 / $1, 1000 * $3 / $1, 1000 * $4 / $1 }')"
done
printf 'CPUs %s, load %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
