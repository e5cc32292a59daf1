#!/bin/sh
# t/59-mysql-restore-as.sh -- cairnctl restore --database OTHER puts every
# object of a single-database dump into OTHER: tables, views (also a view
# on a view), a trigger, a procedure, an event; nothing lands in the
# source's name.  A restore into a database that holds objects is refused
# without --force.
. "$top_srcdir/t/lib/dumptest.sh"

plan 9
dumptest_servers
mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<'SQL'
CREATE DATABASE shop;
USE shop;
CREATE TABLE t (id INT PRIMARY KEY, n INT);
INSERT INTO t VALUES (1, 10), (2, 20);
CREATE TABLE audit (id INT);
CREATE VIEW v1 AS SELECT id, n * 2 AS n2 FROM t;
CREATE VIEW v2 AS SELECT v1.id, shop.v1.n2 FROM shop.v1 JOIN t ON t.id = v1.id;
CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id);
CREATE PROCEDURE p() SELECT COUNT(*) FROM t;
CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit;
SQL
ok $? "the source database is created" || sed 's/^/# /' "$TAP_TMP/load.out"
"$dump" -o "$out" -S "$src_SOCK" -d shop >"$TAP_TMP/dump.out" 2>&1 ||
    bail "cannot dump"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")

"$ctl" restore "$out/$name" --socket "$dst_SOCK" --user root \
    --database copy >"$TAP_TMP/r1.out" 2>"$TAP_TMP/r1.err"
ok $? "restore --database copy" || sed 's/^/# /' "$TAP_TMP/r1.err"
is "$(mariadb_client "$dst_SOCK" -N -e "SHOW DATABASES LIKE 'shop'")" "" \
    "nothing was created under the source's name"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT GROUP_CONCAT(n2 ORDER BY id)
    FROM copy.v2")" "20,40" "the views read the copy's tables"
mariadb_client "$dst_SOCK" -N -e "INSERT INTO copy.t VALUES (3, 30)"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM copy.audit")" 1 \
    "the trigger writes into the copy"
# the same dump under its own name: every definition must be the same
"$ctl" restore "$out/$name" --socket "$dst_SOCK" --user root \
    >/dev/null 2>"$TAP_TMP/r2.err"
ok $? "restore under its own name" || sed 's/^/# /' "$TAP_TMP/r2.err"
mariadb_client "$dst_SOCK" -N -e "DELETE FROM copy.t WHERE id = 3;
    DELETE FROM copy.audit"
db_fingerprint "$dst_SOCK" shop >"$TAP_TMP/shop.fp"
db_fingerprint "$dst_SOCK" copy |
    sed 's/`copy`/`shop`/g; s/^copy\([.	]\)/shop\1/' >"$TAP_TMP/copy.fp"
db_compare "the copy has every object of the original" "$TAP_TMP/shop.fp" \
    "$TAP_TMP/copy.fp"

"$ctl" restore "$out/$name" --socket "$dst_SOCK" --user root \
    --database copy >/dev/null 2>"$TAP_TMP/r3.err"
isnt $? 0 "a restore into a database that holds objects is refused"
like "$(cat "$TAP_TMP/r3.err")" 'copy on the target is not empty' "saying why"
