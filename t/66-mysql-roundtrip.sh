#!/bin/sh
# t/66-mysql-roundtrip.sh -- randomized round trips: t/gen-schema.py makes
# hostile schemas from fixed seeds (identifiers over the whole BMP with
# newlines, quotes, backquotes, comment markers, delimiters and client
# commands; many column types; views, triggers, routines, events,
# sequences, comments); cairn dumps them, the verifier must pass the dump,
# the stock client restores it under hostile server defaults (ANSI_QUOTES,
# NO_BACKSLASH_ESCAPES, a non-UTC time zone, MyISAM by default, a C locale)
# and every database must compare equal object by object, CHECKSUM TABLE
# included, with no file created by an injected command.
#   CAIRN_RT_BATCHES (default 2) batches of CAIRN_RT_SCHEMAS (default 6)
#   schemas, seeds from CAIRN_RT_SEED (default 1); `make check-dump-long`
#   runs 250 batches of 8 (2,000 schemas).
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
dump="$top_builddir/t/mysql-dump"
gen="$top_srcdir/t/gen-schema.py"
batches=${CAIRN_RT_BATCHES:-2}
per=${CAIRN_RT_SCHEMAS:-6}
seed0=${CAIRN_RT_SEED:-1}

plan $((batches * 6))
tap_tmpdir
P=$(mktemp -d /tmp/rt.XXXXXX) || bail "mktemp"
at_exit "rm -rf '$P'"
mariadb_start src || bail "cannot start the source server"
mariadb_start dst || bail "cannot start the target server"
hostile="SET GLOBAL sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES';
    SET GLOBAL time_zone = '+05:30'; SET GLOBAL default_storage_engine = MyISAM"
calm="SET GLOBAL sql_mode = DEFAULT; SET GLOBAL time_zone = DEFAULT;
    SET GLOBAL default_storage_engine = DEFAULT"

# hex to bytes (awk: a python3 per name is slow where python3 is a shim)
unhex()
{
	printf '%s\n' "$1" | LC_ALL=C awk '{
		for (i = 1; i < length($0); i += 2)
			printf "%c", 16 * index(H, substr($0, i, 1)) - 17 + \
			    index(H, substr($0, i + 1, 1))
	}' H=0123456789abcdef
}

b=0
total=0
while [ $b -lt $batches ]; do
	seed=$((seed0 + b))
	out=$TAP_TMP/out.$seed
	mkdir "$out"
	python3 "$gen" "$seed" "$per" "$P/injected" "$TAP_TMP/names" \
	    >"$TAP_TMP/schema.sql"
	# --binary-mode: a CR LF inside a name reaches the server as is
	mariadb_client "$src_SOCK" --binary-mode <"$TAP_TMP/schema.sql" \
	    >"$TAP_TMP/load.out" 2>&1
	ok $? "seed $seed: $per schemas created" ||
	    sed 's/^/# /' "$TAP_TMP/load.out" | head -20
	# the server must hold exactly the names the generator meant: the
	# stock client reading the file may change one (seed 2035: a CR
	# before LF inside a quoted name is dropped), and the dump would then
	# be asked for a database that does not exist
	mariadb_client "$src_SOCK" -N -B -e "SELECT LOWER(HEX(SCHEMA_NAME))
	    FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN
	    ('mysql', 'information_schema', 'performance_schema', 'sys')" |
	    sort >"$TAP_TMP/names.server"
	sort "$TAP_TMP/names" | cmp -s - "$TAP_TMP/names.server"
	ok $? "seed $seed: the server holds the generated names" ||
	    sort "$TAP_TMP/names" | diff - "$TAP_TMP/names.server" | sed 's/^/# /'
	set --
	while read -r h; do
		set -- "$@" -d "$(unhex "$h")"
	done <"$TAP_TMP/names"
	"$dump" -o "$out" -S "$src_SOCK" "$@" -c -V >"$TAP_TMP/dump.out" \
	    2>"$TAP_TMP/dump.err"
	is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
	    "seed $seed: dumped, the verifier passes it" ||
	    sed 's/^/# /' "$TAP_TMP/dump.err" | head -5
	name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
	mariadb_client "$dst_SOCK" -e "$hostile"
	gunzip -c "$out/$name" | LC_ALL=C LANG=C mariadb_client "$dst_SOCK" \
	    >/dev/null 2>"$TAP_TMP/restore.err"
	ok $? "seed $seed: restored under hostile defaults" ||
	    sed 's/^/# /' "$TAP_TMP/restore.err" | head -10
	mariadb_client "$dst_SOCK" -e "$calm"
	[ ! -e "$P/injected" ]
	ok $? "seed $seed: no injected command ran"
	bad=0
	while read -r h; do
		db=$(unhex "$h")
		db_fingerprint "$src_SOCK" "$db" >"$TAP_TMP/a.fp" 2>/dev/null
		db_fingerprint "$dst_SOCK" "$db" >"$TAP_TMP/b.fp" 2>/dev/null
		if ! cmp -s "$TAP_TMP/a.fp" "$TAP_TMP/b.fp"; then
			bad=$((bad + 1))
			diag "seed $seed: database $h differs:"
			diff "$TAP_TMP/a.fp" "$TAP_TMP/b.fp" | head -10 |
			    sed 's/^/# /'
		fi
		mariadb_client "$src_SOCK" -e "DROP DATABASE \`$(printf '%s' \
		    "$db" | sed 's/`/``/g')\`"
		mariadb_client "$dst_SOCK" -e "DROP DATABASE \`$(printf '%s' \
		    "$db" | sed 's/`/``/g')\`"
	done <"$TAP_TMP/names"
	is "$bad" 0 "seed $seed: every database compares equal"
	total=$((total + per))
	rm -rf "$out"
	b=$((b + 1))
done
diag "$total schemas round-tripped"
