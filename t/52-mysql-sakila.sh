#!/bin/sh
# t/52-mysql-sakila.sh -- dump sakila and employees with cairn's engine,
# restore with the stock client into a second server, and compare
# everything: rows, CHECKSUM TABLE, SHOW CREATE of every object,
# AUTO_INCREMENT values.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"
. "$top_srcdir/t/lib/datasets.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
ds=$(datasets_dir) ||
    skip_all "sample datasets not found (../shared/datasets; set CAIRN_DATASETS)"
dump="$top_builddir/t/mysql-dump"

plan 17
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"

mariadb_start src || bail "cannot start the source server"
mdb < "$ds/sakila/sakila-mv-schema.sql" && mdb < "$ds/sakila/sakila-mv-data.sql" ||
    bail "cannot load sakila"
(cd "$ds/employees" && mdb < employee.sql >/dev/null && mdb < object.sql) ||
    bail "cannot load employees"
mariadb_start dst || bail "cannot start the target server"

"$dump" -o "$out" -S "$src_SOCK" -d sakila -d employee -c -s 1795000000 -V \
    >"$TAP_TMP/dump.out" 2>"$TAP_TMP/dump.err"
ok $? "the engine dumps sakila and employee"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" "the verifier agrees with it"
sed 's/^/# /' "$TAP_TMP/dump.err" >&2
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
is "$name" "test_backup_$(date -u -d @1795000000 +%Y%m%d_%H%M%S).sql.gz" "the artifact is named JOB_backup_YYYYMMDD_HHMMSS.sql.gz (UTC)"
is "$(ls -A "$out")" "$name" "nothing else is left in the folder"
gzip -t "$out/$name"
ok $? "the artifact is a valid gzip file"
gunzip -c "$out/$name" >"$TAP_TMP/dump.sql"
like "$(head -n 1 "$TAP_TMP/dump.sql")" '^-- cairn dump format 1$' "line 1 names the format"
like "$(tail -n 1 "$TAP_TMP/dump.sql")" \
    '^-- cairn dump completed [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    "the last line is the completion marker"

# the engine's counts, the file's row lines and the server's COUNT(*) agree
sed -n 's/^table \([^ ]*\) \([0-9]*\) .*/\1 \2/p' "$TAP_TMP/dump.out" | sort \
    >"$TAP_TMP/counts.engine"
sed -n 's/^-- cairn rows `\([^`]*\)`\.`\([^`]*\)` \([0-9]*\)$/\1.\2 \3/p' \
    "$TAP_TMP/dump.sql" | sort >"$TAP_TMP/counts.file"
for db in sakila employee; do
	mariadb_client "$src_SOCK" -N -e "SELECT TABLE_NAME FROM information_schema.TABLES
	    WHERE TABLE_SCHEMA = '$db' AND TABLE_TYPE = 'BASE TABLE'" |
	while read -r t; do
		echo "$db.$t $(mariadb_client "$src_SOCK" -N -e "SELECT COUNT(*) FROM \`$db\`.\`$t\`")"
	done
done | sort >"$TAP_TMP/counts.server"
is "$(wc -l <"$TAP_TMP/counts.server")" 22 "22 tables in the source"
db_compare "the engine reports every table's row count" \
    "$TAP_TMP/counts.server" "$TAP_TMP/counts.engine"
db_compare "each table's rows line in the file says the same" \
    "$TAP_TMP/counts.server" "$TAP_TMP/counts.file"

gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" 2>"$TAP_TMP/restore.err"
ok $? "the stock client restores the dump"
sed 's/^/# /' "$TAP_TMP/restore.err" >&2

for db in sakila employee; do
	db_fingerprint "$src_SOCK" $db >"$TAP_TMP/$db.src"
	db_fingerprint "$dst_SOCK" $db >"$TAP_TMP/$db.dst"
done
db_compare "sakila: same rows, checksums, tables, views, triggers, routines, AUTO_INCREMENT" \
    "$TAP_TMP/sakila.src" "$TAP_TMP/sakila.dst"
db_compare "employee: the same" "$TAP_TMP/employee.src" "$TAP_TMP/employee.dst"

# CHECKSUM TABLE taken in the dump's snapshot equals the restored table's
sed -n 's/^table \([^ ]*\) [0-9]* \([0-9]*\)$/\1 \2/p' "$TAP_TMP/dump.out" |
    sort >"$TAP_TMP/sum.engine"
sed 's/ .*//' "$TAP_TMP/sum.engine" | while read -r t; do
	echo "$t $(mariadb_client "$dst_SOCK" -N -e "CHECKSUM TABLE $t" | cut -f2)"
done | sort >"$TAP_TMP/sum.dst"
is "$(wc -l <"$TAP_TMP/sum.engine")" 22 "the engine reports a checksum for each table"
db_compare "they equal CHECKSUM TABLE on the restored tables" \
    "$TAP_TMP/sum.engine" "$TAP_TMP/sum.dst"

# a test of the test: one changed byte is seen
mariadb_client "$dst_SOCK" -e "UPDATE sakila.actor SET first_name = 'PENELOPf' WHERE actor_id = 1"
db_fingerprint "$dst_SOCK" sakila >"$TAP_TMP/sakila.changed"
! cmp -s "$TAP_TMP/sakila.src" "$TAP_TMP/sakila.changed"
ok $? "the comparison sees a one-letter change"

# restoring again over the restored copy puts it back (DROP ... IF EXISTS)
gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" &&
    db_fingerprint "$dst_SOCK" sakila >"$TAP_TMP/sakila.again" &&
    cmp -s "$TAP_TMP/sakila.src" "$TAP_TMP/sakila.again"
ok $? "restoring over an existing copy gives the original again"
tap_done
