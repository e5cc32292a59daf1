#!/bin/sh
# bench/large.sh -- the scale goal of issue 15: a large MySQL database and
# a large SQLite file backed up, verified and restored, with each step's
# time and the peak memory of its largest process.
#
#   bench/large.sh [MYSQL_MB [SQLITE_MB]]   (default 10240 and 5120)
#
# MySQL: the dataset of bench/mysql-data.sh on a harness server, dumped by
# cairn's engine (t/mysql-dump, the worker's code: gzip -6, 2 threads),
# verified alone (-W), restored by `cairnctl restore --jobs 4` into a
# second database of the same server, CHECKSUM TABLE compared.  SQLite: a
# WAL database of cairn-sqlite-bench, snapshot, verify, `cairnctl restore
# --to` a new file, row counts compared.  Needs about 3 times MYSQL_MB and
# 3 times SQLITE_MB of free disk under TMPDIR.
#
# Memory: the peak RSS of the step's largest process (GNU time's %M, the
# kernel's own high-water mark), and the peak RssAnon of any of them,
# read from /proc every 0.2 s: memory of its own, without the file pages
# a memory map shows (the SQLite snapshot and verifier map their files,
# and those pages count in RSS while the kernel can drop them any time).  Goal: the worker's
# peak under 64 MiB.  The supervisor's 8 MiB is t/72-daemon-scale.sh's.
set -eu
mysql_mb=${1:-10240}
sqlite_mb=${2:-5120}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_need "$dump" "$ctl" "$sq"

# peak memory of a process tree: writes "MAXRSS_KIB ANON_KIB" into
# $W/peak when the command ends; the command's status is returned
sampled() {
	/usr/bin/time -f '%M' -o "$W/maxrss" "$@" &
	pid=$!
	anon=0
	while kill -0 "$pid" 2>/dev/null; do
		for p in $pid $(pgrep -P "$pid" 2>/dev/null) \
		    $(for c in $(pgrep -P "$pid" 2>/dev/null); do
		    pgrep -P "$c" 2>/dev/null; done); do
			a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$p/status" \
			    2>/dev/null || true)
			[ "${a:-0}" -gt "$anon" ] && anon=$a
		done
		sleep 0.2
	done
	wait "$pid"
	rc=$?
	echo "$(tail -1 "$W/maxrss") $anon" >"$W/peak"
	return $rc
}

# one step: NAME COMMAND...; prints its line
step() {
	name=$1
	shift
	t0=$(now)
	sampled "$@" >"$W/$name.out" 2>"$W/$name.err" || {
		say "bench: $name failed:"; sed 's/^/  /' "$W/$name.err" >&2
		exit 1; }
	t=$(echo "$(now) - $t0" | bc)
	set -- $(cat "$W/peak")
	printf '%-22s %8.1f s   peak RSS %7d KiB   RssAnon %7d KiB\n' \
	    "$name" "$t" "$1" "$2"
}

say "bench: load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"

if [ "$mysql_mb" -gt 0 ]; then
	mariadb_start big --innodb-buffer-pool-size=2G \
	    --innodb-log-file-size=1G --max-allowed-packet=64M || exit 1
	say "bench: loading ${mysql_mb} MB into MariaDB"
	t0=$(now)
	bench_mysql_data "$mysql_mb"
	say "bench: loaded in $(echo "$(now) - $t0" | bc) s"
	mkdir "$W/my"
	step "mysql dump" "$dump" -o "$W/my" -S "$big_SOCK" -d bench -j 2 \
	    -l 6 -s 1700000000
	art=$(sed -n 's/^artifact //p' "$W/mysql dump.out")
	echo "  artifact $(stat -c %s "$W/my/$art") bytes"
	step "mysql verify" "$dump" -o "$W/my" -W "$art"
	step "mysql restore -j4" "$ctl" restore "$W/my/$art" \
	    --socket "$big_SOCK" --user root --database copy --jobs 4
	a=$(mariadb_client "$big_SOCK" -N -e "CHECKSUM TABLE bench.orders,
	    bench.blobs, bench.docs EXTENDED" | awk '{ printf "%s ", $2 }')
	b=$(mariadb_client "$big_SOCK" -N -e "CHECKSUM TABLE copy.orders,
	    copy.blobs, copy.docs EXTENDED" | awk '{ printf "%s ", $2 }')
	[ "$a" = "$b" ] && echo "  restored: CHECKSUM TABLE equal" ||
	    { echo "  restored: CHECKSUM TABLE DIFFERS: $a / $b"; exit 1; }
	mariadb_stop big
	rm -rf "$W/my"
fi

if [ "$sqlite_mb" -gt 0 ]; then
	say "bench: building a ${sqlite_mb} MB SQLite database"
	"$sq" build -w "$W/app.db" "$sqlite_mb" >/dev/null
	echo "  database $(stat -c %s "$W/app.db") bytes"
	mkdir "$W/sq"
	step "sqlite snapshot" "$sq" snapshot -l 6 -t 2 "$W/app.db" "$W/sq"
	art=$(tr ' ' '\n' <"$W/sqlite snapshot.out" | sed -n 's/^artifact=//p')
	echo "  artifact $(stat -c %s "$W/sq/$art") bytes"
	step "sqlite verify" "$sq" verify "$W/sq" "$art"
	step "sqlite restore" "$ctl" restore "$W/sq/$art" --to "$W/back.db"
	for t in $(sqlite3 "$W/app.db" "SELECT name FROM sqlite_master WHERE
	    type = 'table' ORDER BY name"); do
		[ "$(sqlite3 "$W/app.db" "SELECT COUNT(*) FROM $t")" = \
		    "$(sqlite3 "$W/back.db" "SELECT COUNT(*) FROM $t")" ] || {
			echo "  restored: table $t DIFFERS"; exit 1; }
	done
	echo "  restored: every table's row count equal"
fi
