#!/bin/sh
# t/53-mysql-edge.sh -- the edge-case fixture (t/fixtures/edge.sql) dumped by
# cairn's engine restores identically: every byte of every row, every
# object's definition.  The same fixture dumped by mariadb-dump restores
# identically too, except the mysqldump_loses_* objects (a test of the test:
# the comparison sees what mysqldump loses).
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"
fixture="$top_srcdir/t/fixtures/edge.sql"
db2='edge `db` 2'

plan 20
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"

# rows near the 16 MiB packet limit need it on both sides
mariadb_start src --max-allowed-packet=16M || bail "cannot start the source server"
mariadb_client "$src_SOCK" <"$fixture" >/dev/null || bail "cannot load $fixture"
mariadb_start dst --max-allowed-packet=16M || bail "cannot start the target server"

"$dump" -o "$out" -S "$src_SOCK" -d cairn_edge -d "$db2" -c -V \
    >"$TAP_TMP/dump.out" 2>"$TAP_TMP/dump.err"
ok $? "the engine dumps the fixture"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
    "the verifier reads it back: stream, SHA-256, sizes, format, rows per table"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
gunzip -c "$out/$name" >"$TAP_TMP/dump.sql"
like "$(tail -n 1 "$TAP_TMP/dump.sql")" '^-- cairn dump completed .*Z$' \
    "the dump is complete"

# the format contract (docs/dump-format.md)
n_tables=$(mariadb_client "$src_SOCK" -N -e "SELECT COUNT(*) FROM
    information_schema.TABLES WHERE TABLE_SCHEMA IN ('cairn_edge', '$db2')
    AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')")
is "$(grep -c '^-- cairn table ' "$TAP_TMP/dump.sql")" "$n_tables" \
    "one table marker per table ($n_tables)"
is "$(grep -c '^-- cairn rows ' "$TAP_TMP/dump.sql")" "$n_tables" \
    "one rows line per table"
bad=$(grep '^INSERT INTO ' "$TAP_TMP/dump.sql" | grep -vc ');$')
is "$bad" 0 "every INSERT is one line ending in );"
# rows per table: the markers' counts against the engine's
awk '/^-- cairn rows /{ n = $NF; sub(/^-- cairn rows /, ""); sub(/ [0-9]+$/, "");
    print $0, n }' "$TAP_TMP/dump.sql" | sort >"$TAP_TMP/rows.file"
sed -n 's/^table \(.*\) \([0-9]*\) [0-9]*$/\1 \2/p' "$TAP_TMP/dump.out" |
    awk '{ n = $NF; $NF = ""; sub(/ $/, ""); i = index($0, ".");
    db = substr($0, 1, i - 1); t = substr($0, i + 1); gsub(/`/, "``", db);
    gsub(/`/, "``", t); print "`" db "`.`" t "` " n }' | sort >"$TAP_TMP/rows.engine"
db_compare "the rows lines agree with the engine's counts" \
    "$TAP_TMP/rows.engine" "$TAP_TMP/rows.file"
many=$(grep -c '^INSERT INTO `many` ' "$TAP_TMP/dump.sql")
[ "$many" -ge 2 ]
ok $? "30000 rows are split over several INSERTs ($many)"
long=$(grep '^INSERT INTO `many` ' "$TAP_TMP/dump.sql" | awk 'length($0) > 1048576' | wc -l)
is "$long" 0 "no multi-row INSERT exceeds 1 MiB"
is "$(grep -c '^INSERT INTO `big` ' "$TAP_TMP/dump.sql")" 2 \
    "rows larger than that are one statement each"
grep -q '^-- not covered by the snapshot.*`my_aria` (Aria), .*`my_isam` (MyISAM)' \
    "$TAP_TMP/dump.sql" && grep -q 'my_isam uses MyISAM' "$TAP_TMP/dump.err"
ok $? "non-transactional tables are named in the header and the log"

gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" >/dev/null 2>"$TAP_TMP/restore.err"
ok $? "the stock client restores it"
sed 's/^/# /' "$TAP_TMP/restore.err" >&2
db_fingerprint "$src_SOCK" cairn_edge >"$TAP_TMP/edge.src"
db_fingerprint "$dst_SOCK" cairn_edge >"$TAP_TMP/edge.dst"
db_compare "cairn_edge restores identically (rows, history, definitions)" \
    "$TAP_TMP/edge.src" "$TAP_TMP/edge.dst"
db_fingerprint "$src_SOCK" "$db2" >"$TAP_TMP/db2.src"
db_fingerprint "$dst_SOCK" "$db2" >"$TAP_TMP/db2.dst"
db_compare "$db2 restores identically" "$TAP_TMP/db2.src" "$TAP_TMP/db2.dst"
is "$(mariadb_client "$dst_SOCK" -N -e 'INSERT INTO cairn_edge.tree VALUES (9, 1);
    SELECT @t')" 123 "triggers fire in their original order"
is "$(mariadb_client "$dst_SOCK" -N -e 'SELECT NEXTVAL(cairn_edge.seq_orders)')" 150 \
    "a sequence continues where it was"

# the same fixture through mariadb-dump
if ! mariadb-dump --help 2>/dev/null | grep -q -- '--dump-history'; then
	skip 4 "mariadb-dump without --dump-history (MariaDB < 10.11)"
	tap_done
fi
mariadb-dump --no-defaults -uroot --socket="$src_SOCK" --single-transaction \
    --hex-blob --routines --events --triggers --dump-history \
    --databases cairn_edge "$db2" >"$TAP_TMP/md.sql" 2>"$TAP_TMP/md.err"
ok $? "mariadb-dump dumps the fixture"
mariadb_client "$dst_SOCK" -e "DROP DATABASE cairn_edge; DROP DATABASE \`edge \`\`db\`\` 2\`"
# --force: its placeholder views make mysqldump_loses_checkopt fail, and it
# creates mysqldump_loses_seq_default before the sequence its DEFAULT uses
mariadb_client "$dst_SOCK" --force <"$TAP_TMP/md.sql" >/dev/null 2>"$TAP_TMP/md-restore.err"
grep -q 'CHECK OPTION on non-updatable view' "$TAP_TMP/md-restore.err"
ok $? "its restore fails on the view WITH CHECK OPTION over a view"
db_fingerprint "$src_SOCK" cairn_edge lossy >"$TAP_TMP/edge.src.lossy"
db_fingerprint "$dst_SOCK" cairn_edge lossy >"$TAP_TMP/edge.md.lossy"
db_compare "everything but the mysqldump_loses_* objects restores identically" \
    "$TAP_TMP/edge.src.lossy" "$TAP_TMP/edge.md.lossy"
db_fingerprint "$dst_SOCK" cairn_edge >"$TAP_TMP/edge.md"
diff "$TAP_TMP/edge.src" "$TAP_TMP/edge.md" | grep '^[<>]' |
    grep -v 'mysqldump_loses_' >"$TAP_TMP/md.diff"
diff "$TAP_TMP/edge.src" "$TAP_TMP/edge.md" | grep -q 'mysqldump_loses_floats' &&
    diff "$TAP_TMP/edge.src" "$TAP_TMP/edge.md" | grep -q 'mysqldump_loses_cp1251' &&
    diff "$TAP_TMP/edge.src" "$TAP_TMP/edge.md" | grep -q 'mysqldump_loses_enum0' &&
    diff "$TAP_TMP/edge.src" "$TAP_TMP/edge.md" | grep -q 'mysqldump_loses_seq_default' &&
    [ ! -s "$TAP_TMP/md.diff" ]
ok $? "and the comparison sees what it loses: FLOAT digits, unmappable bytes, ENUM's error value, a table whose DEFAULT needs a later sequence"
tap_done
