#!/bin/sh
# t/68-mysql-mtr.sh -- MariaDB's own mysqldump tests as an external suite:
# t/mtr-extract.py takes the schemas and data that mysql-test/main/
# mysqldump*.test (Debian's mariadb-test-data) create, cut at each point
# where the original test runs mysqldump.  Each case is replayed on the
# source server; cairn dumps every user database there (the verifier must
# pass the dump), the stock client restores it into an empty second
# server, and each database must compare equal object by object
# (SHOW CREATE of tables, views, triggers, routines, events, sequences;
# row hashes; CHECKSUM TABLE).  What the extractor leaves out is printed
# with its reason.
# Every case is replayed; at most CAIRN_MTR_CASES of them (default 16,
# spread evenly, the last of each file always among them; 0 for all) are
# round-tripped, which keeps `make check` within a few minutes;
# `make check-dump-long` round-trips all.
#   CAIRN_MTR_DIR  where the .test files are
#                  (default /usr/share/mysql/mysql-test/main)
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"

mtr=${CAIRN_MTR_DIR:-/usr/share/mysql/mysql-test/main}
mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
ls "$mtr"/mysqldump*.test >/dev/null 2>&1 ||
    skip_all "no $mtr/mysqldump*.test (package mariadb-test-data)"
dump="$top_builddir/t/mysql-dump"

tap_tmpdir
C=$TAP_TMP/cases
python3 "$top_srcdir/t/mtr-extract.py" "$C" "$mtr"/mysqldump*.test ||
    bail "t/mtr-extract.py failed"
ncases=$(ls "$C" | grep -c '\.case$')
[ "$ncases" -gt 0 ] || bail "no case extracted from $mtr"
want=${CAIRN_MTR_CASES:-16}
[ "$want" -gt 0 ] && [ "$want" -lt "$ncases" ] || want=$ncases
# the cases to round-trip: every step-th, and the last of each file
step=$(( (ncases + want - 1) / want ))
i=0
prev=
for c in "$C"/*.case; do
	f=$(cut -d: -f1 "$c")
	[ -n "$prev" ] && [ "$f" != "$(cut -d: -f1 "$prev")" ] &&
	    : >"${prev%.case}.rt"
	[ $((i % step)) -eq 0 ] && : >"${c%.case}.rt"
	prev=$c
	i=$((i + 1))
done
: >"${prev%.case}.rt"
nrt=$(ls "$C" | grep -c '\.rt$')
plan $((nrt * 3 + 1))
diag "$ncases cases from $(ls "$mtr"/mysqldump*.test | wc -l) files," \
    "$nrt round-tripped (CAIRN_MTR_CASES=0 for all);" \
    "left out, with the reason:"
sed 's/^/#   /' "$C/skipped.txt" >&2

mariadb_start src || bail "cannot start the source server"
mariadb_start dst || bail "cannot start the target server"

# user databases on the server at $1, hex, one a line
user_dbs()
{
	mariadb_client "$1" -N -B -e "SELECT LOWER(HEX(SCHEMA_NAME)) FROM
	    information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql',
	    'information_schema', 'performance_schema', 'sys')"
}

# hex to bytes (awk: a python3 per name is slow where python3 is a shim)
unhex()
{
	printf '%s\n' "$1" | LC_ALL=C awk '{
		for (i = 1; i < length($0); i += 2)
			printf "%c", 16 * index(H, substr($0, i, 1)) - 17 + \
			    index(H, substr($0, i + 1, 1))
	}' H=0123456789abcdef
}

# drop every user database on the server at $1 (and make `test`, which
# mysqltest scripts expect, when $2 is "test")
reset_dbs()
{
	for h in $(user_dbs "$1"); do
		mariadb_client "$1" -e "DROP DATABASE \`$(unhex "$h" |
		    sed 's/`/``/g')\`"
	done
	[ "${2:-}" = test ] && mariadb_client "$1" -e "CREATE DATABASE test"
	return 0
}

file=
fails=0
for c in "$C"/*.case; do
	base=${c%.case}
	where=$(cat "$c")
	f=${where%%:*}
	if [ "$f" != "$file" ]; then
		file=$f
		reset_dbs "$src_SOCK" test
	fi
	# the case's statements, each on its own: the original test expects
	# some of them to warn, and a few to fail on this server version
	mariadb_client "$src_SOCK" --force test <"$base.sql" \
	    >"$TAP_TMP/load.out" 2>&1
	[ -e "$base.rt" ] || continue
	out=$TAP_TMP/out
	rm -rf "$out"
	mkdir "$out"
	set --
	for h in $(user_dbs "$src_SOCK"); do
		set -- "$@" -d "$(unhex "$h")"
	done
	"$dump" -o "$out" -S "$src_SOCK" "$@" -V >"$TAP_TMP/dump.out" \
	    2>"$TAP_TMP/dump.err"
	is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
	    "$where: dumped, the verifier passes it" || {
		sed 's/^/# /' "$TAP_TMP/dump.err" | head -5
		fails=$((fails + 1))
	}
	name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
	reset_dbs "$dst_SOCK"
	if [ -n "$name" ]; then
		gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" \
		    >/dev/null 2>"$TAP_TMP/restore.err"
		ok $? "$where: the stock client restores it" || {
			sed 's/^/# /' "$TAP_TMP/restore.err" | head -5
			fails=$((fails + 1))
		}
	else
		ok 1 "$where: the stock client restores it (no artifact)"
	fi
	bad=0
	for h in $(user_dbs "$src_SOCK"); do
		db=$(unhex "$h")
		db_fingerprint "$src_SOCK" "$db" >"$TAP_TMP/a.fp" 2>&1
		db_fingerprint "$dst_SOCK" "$db" >"$TAP_TMP/b.fp" 2>&1
		if ! cmp -s "$TAP_TMP/a.fp" "$TAP_TMP/b.fp"; then
			bad=$((bad + 1))
			diag "$where: database $db differs:"
			diff "$TAP_TMP/a.fp" "$TAP_TMP/b.fp" | head -10 |
			    sed 's/^/# /'
		fi
	done
	is "$bad" 0 "$where: every database compares equal" ||
	    fails=$((fails + 1))
done
is "$fails" 0 "every extracted case round-trips"
