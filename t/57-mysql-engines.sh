#!/bin/sh
# t/57-mysql-engines.sh -- objects that need more than their definition in
# the right place: a MERGE table (named to sort before its underlying
# tables) and a BLACKHOLE table get their definition only, no rows (a
# MERGE's rows are its underlying tables'; an INSERT into it would store
# them twice, and fails before those tables exist); a sql_mode=ORACLE
# package and its body restore, DROP PACKAGE included, because every
# statement about an object runs under that object's sql_mode.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"

plan 8
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"
mariadb_start src --plugin-load-add=ha_blackhole.so || bail "cannot start the source server"
mariadb_start dst --plugin-load-add=ha_blackhole.so || bail "cannot start the target server"

mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<'SQL'
CREATE DATABASE eng;
USE eng;
CREATE TABLE z1 (id INT, v VARCHAR(10)) ENGINE=MyISAM;
CREATE TABLE z2 (id INT, v VARCHAR(10)) ENGINE=MyISAM;
INSERT INTO z1 VALUES (1, 'one'), (2, 'two');
INSERT INTO z2 VALUES (3, 'three');
CREATE TABLE a_merge (id INT, v VARCHAR(10)) ENGINE=MERGE UNION=(z1, z2)
    INSERT_METHOD=LAST;
CREATE TABLE hole (id INT) ENGINE=BLACKHOLE;
INSERT INTO hole VALUES (1);
SET sql_mode = ORACLE;
DELIMITER //
CREATE PACKAGE pkg AS
  FUNCTION f RETURN INT;
END;
//
CREATE PACKAGE BODY pkg AS
  FUNCTION f RETURN INT AS BEGIN RETURN 42; END;
END;
//
DELIMITER ;
SQL
ok $? "MERGE, BLACKHOLE and an ORACLE package are created" ||
    sed 's/^/# /' "$TAP_TMP/load.out"

"$dump" -o "$out" -S "$src_SOCK" -d eng -c -V >"$TAP_TMP/dump.out" \
    2>"$TAP_TMP/dump.err"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" "dumped and verified"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
gunzip -c "$out/$name" >"$TAP_TMP/dump.sql"
is "$(grep -c '^INSERT INTO `\(a_merge\|hole\)`' "$TAP_TMP/dump.sql")" 0 \
    "no rows written for the MERGE and BLACKHOLE tables"
# twice: the second run drops what the first created
for i in 1 2; do
	gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" >/dev/null \
	    2>"$TAP_TMP/restore$i.err"
	ok $? "the stock client restores it (run $i)" ||
	    sed 's/^/# /' "$TAP_TMP/restore$i.err"
done
is "$(mariadb_client "$dst_SOCK" -N -e 'SELECT COUNT(*) FROM eng.a_merge')" 3 \
    "the MERGE table shows its underlying rows, once"
is "$(mariadb_client "$dst_SOCK" -N -e 'SET sql_mode = ORACLE;
    SELECT eng.pkg.f() FROM DUAL')" 42 "the package works"
db_fingerprint "$src_SOCK" eng >"$TAP_TMP/src.fp"
db_fingerprint "$dst_SOCK" eng >"$TAP_TMP/dst.fp"
db_compare "everything restores identically" "$TAP_TMP/src.fp" "$TAP_TMP/dst.fp"
