#!/bin/sh
# t/69-mysql-invalid-view.sh -- a view whose table was dropped (found by
# t/68-mysql-mtr.sh at mysqldump.test's "Bug#17371 Unable to dump a schema
# with invalid views").  The server still shows its definition, but no
# server can create it, and `gunzip -c | mariadb` stops at the first error:
# everything after it would be lost to the person restoring.  The dump
# keeps the definition as text (DO '...'), the log says so, and the rest
# restores.  Also from that suite (Bug#23491): a view calling a function
# qualified with its own database keeps that qualifier (the server keeps
# it as written), so the view restores as it was.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"

plan 6
tap_tmpdir
mkdir "$TAP_TMP/out"
mariadb_start src || bail "cannot start the source server"
mariadb_start dst || bail "cannot start the target server"
mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<'SQL'
CREATE DATABASE a;
CREATE TABLE a.gone (id INT);
CREATE VIEW a.broken AS SELECT id FROM a.gone;
CREATE VIEW a.on_broken AS SELECT id FROM a.broken;
DROP TABLE a.gone;
CREATE TABLE a.t (id INT);
INSERT INTO a.t VALUES (1), (2);
CREATE VIEW a.zz AS SELECT id FROM a.t;
USE a;
CREATE FUNCTION a.f1() RETURNS INT RETURN 1;
CREATE VIEW a.zz2 AS SELECT a.f1() AS one, f1() AS two, id FROM a.t;
CREATE DATABASE z;
CREATE TABLE z.t (v VARCHAR(5));
INSERT INTO z.t VALUES ('kept');
SQL
ok $? "a database with invalid views" || sed 's/^/# /' "$TAP_TMP/load.out"
"$dump" -o "$TAP_TMP/out" -S "$src_SOCK" -d a -d z -V \
    >"$TAP_TMP/dump.out" 2>"$TAP_TMP/dump.err"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
    "dumped, the verifier passes it" || sed 's/^/# /' "$TAP_TMP/dump.err"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
gunzip -c "$TAP_TMP/out/$name" | mariadb_client "$dst_SOCK" \
    >/dev/null 2>"$TAP_TMP/restore.err"
ok $? "the stock client restores it" || sed 's/^/# /' "$TAP_TMP/restore.err"
db_fingerprint "$src_SOCK" z >"$TAP_TMP/a.fp"
db_fingerprint "$dst_SOCK" z >"$TAP_TMP/b.fp" 2>&1
db_compare "what comes after the invalid views is restored" \
    "$TAP_TMP/a.fp" "$TAP_TMP/b.fp"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT GROUP_CONCAT(TABLE_NAME
    ORDER BY TABLE_NAME) FROM information_schema.VIEWS
    WHERE TABLE_SCHEMA = 'a'")" "zz,zz2" \
    "the valid views are there, not the others"
v3="SHOW CREATE VIEW a.zz2"
is "$(mariadb_client "$dst_SOCK" -N -e "$v3")" \
    "$(mariadb_client "$src_SOCK" -N -e "$v3")" \
    "a qualified function call in a view restores as it was"
