#!/bin/sh
# t/67-mysql-grants.sh -- dump_grants = true: the accounts holding
# privileges on the dumped databases come back with their passwords,
# roles, default roles and database-, table-, column- and routine-level
# grants, through `gunzip -c | mariadb` and through `cairnctl restore`, and
# under `cairnctl restore --database other` the grants follow the rename.
# An account named with a newline, a backquote, a quote and "\! touch
# FILE" never makes the client run it.  Off by default; the verifier's
# restore test creates no account on its server.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"
ctl=$CAIRNCTL
[ -x "$ctl" ] || bail "$ctl not built"

plan 20
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"
P=$(mktemp -d /tmp/cg.XXXXXX) || bail "mktemp"
at_exit "rm -rf '$P'"

mariadb_start src || bail "cannot start the source server"
mariadb_start dst || bail "cannot start the target server"

# the hostile account, as a SQL fragment: user x`'<nl>\! touch P/G<nl>#,
# host h"o<nl>st
hu=$(cat <<'X'
'x`\'\n\\! touch PDIR/G\n#'@'h"o\nst'
X
)
hu=$(printf '%s' "$hu" | sed "s|PDIR|$P|")
accounts="'u_db'@'localhost' 'u_tab'@'%' 'u_col'@'localhost' 'r_exec' 'r_nested' 'u_role'@'localhost'"

{
	cat <<'SQL'
CREATE DATABASE shop;
CREATE DATABASE other;
USE shop;
CREATE TABLE t (id INT PRIMARY KEY, c INT);
INSERT INTO t VALUES (1, 10);
CREATE TABLE gone (id INT);
CREATE PROCEDURE p() SELECT COUNT(*) FROM t;
CREATE FUNCTION f() RETURNS INT RETURN 7;
CREATE TABLE other.o (id INT);
CREATE USER 'u_db'@'localhost' IDENTIFIED BY 'pw1';
GRANT SELECT, INSERT, CREATE TEMPORARY TABLES, LOCK TABLES ON shop.* TO 'u_db'@'localhost' WITH GRANT OPTION;
CREATE USER 'u_tab'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('pw2') OR unix_socket;
GRANT UPDATE, DELETE ON shop.t TO 'u_tab'@'%';
GRANT SELECT ON shop.gone TO 'u_tab'@'%';
CREATE USER 'u_col'@'localhost' IDENTIFIED BY 'pw3' REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 5;
GRANT SELECT (c), UPDATE (id, c) ON shop.t TO 'u_col'@'localhost';
CREATE ROLE r_exec;
GRANT EXECUTE ON PROCEDURE shop.p TO r_exec;
GRANT EXECUTE, ALTER ROUTINE ON FUNCTION shop.f TO r_exec;
CREATE ROLE r_nested;
GRANT r_exec TO r_nested;
CREATE USER 'u_role'@'localhost' IDENTIFIED BY 'pw4';
GRANT r_nested TO 'u_role'@'localhost';
SET DEFAULT ROLE r_nested FOR 'u_role'@'localhost';
CREATE USER 'u_other'@'localhost' IDENTIFIED BY 'pw5';
GRANT SELECT ON other.* TO 'u_other'@'localhost';
SQL
	printf "CREATE USER %s IDENTIFIED BY 'pw6';\n" "$hu"
	printf "GRANT DELETE ON shop.* TO %s;\n" "$hu"
	# a grant the server keeps after its table is dropped: not dumped
	echo "DROP TABLE shop.gone;"
} >"$TAP_TMP/load.sql"
mariadb_client "$src_SOCK" <"$TAP_TMP/load.sql" >"$TAP_TMP/load.out" 2>&1
ok $? "accounts with every kind of grant are created" ||
    sed 's/^/# /' "$TAP_TMP/load.out"

# grants SOCK: SHOW GRANTS of every account, one block each
grants()
{
	for a in $accounts; do
		echo "SHOW GRANTS FOR $a;"
	done >"$TAP_TMP/g.sql"
	printf 'SHOW GRANTS FOR %s;\n' "$hu" >>"$TAP_TMP/g.sql"
	mariadb_client "$1" -N <"$TAP_TMP/g.sql"
}
drop_accounts()
{
	{
		for a in $accounts; do
			case $a in
			\'r_*) echo "DROP ROLE IF EXISTS $a;" ;;
			*) echo "DROP USER IF EXISTS $a;" ;;
			esac
		done
		printf 'DROP USER IF EXISTS %s;\n' "$hu"
	} | mariadb_client "$1" || bail "cannot drop the accounts"
}
# the grant on the dropped table is not dumped: not expected back
grants "$src_SOCK" 2>&1 | grep -v '`gone`' >"$TAP_TMP/before"
grep -q 'ALTER ROUTINE ON FUNCTION `shop`.`f`' "$TAP_TMP/before" ||
    bail "SHOW GRANTS before: $(cat "$TAP_TMP/before")"

"$dump" -o "$out" -S "$src_SOCK" -d shop >"$TAP_TMP/plain.out" 2>&1 ||
    bail "cannot dump: $(cat "$TAP_TMP/plain.out")"
plain=$(sed -n 's/^artifact //p' "$TAP_TMP/plain.out")
is "$(gzip -dc "$out/$plain" | grep -c -e 'CREATE USER' -e '^GRANT')" 0 \
    "without dump_grants no account or grant is written"
rm -f "$out/$plain"

n0=$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM mysql.user")
"$dump" -o "$out" -S "$src_SOCK" -d shop -g -V -R "$dst_SOCK" \
    >"$TAP_TMP/dump.out" 2>&1
ok $? "dumped with dump_grants; the verifier with its restore test passes" ||
    sed 's/^/# /' "$TAP_TMP/dump.out"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM mysql.user")" \
    "$n0" "the restore test created no account on its server"
gzip -dc "$out/$name" >"$TAP_TMP/dump.sql"
is "$(grep -c -e u_other -e '`gone`' "$TAP_TMP/dump.sql")" 0 \
    "accounts without privileges on the dumped database, and grants on a dropped table, are left out"

# 1: the stock client, on a fresh server
LC_ALL=C mariadb_client "$dst_SOCK" <"$TAP_TMP/dump.sql" \
    >"$TAP_TMP/r1.out" 2>&1
ok $? "gunzip -c | mariadb restores it" || sed 's/^/# /' "$TAP_TMP/r1.out"
grants "$dst_SOCK" >"$TAP_TMP/after1" 2>&1
if cmp -s "$TAP_TMP/before" "$TAP_TMP/after1"; then
	ok 0 "SHOW GRANTS of every account is the same after the restore"
else
	ok 1 "SHOW GRANTS of every account is the same after the restore"
	diff "$TAP_TMP/before" "$TAP_TMP/after1" | sed 's/^/# /'
fi
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM mysql.user
    WHERE User = 'u_tab' AND authentication_string =
    CONCAT('*', UPPER(SHA1(UNHEX(SHA1('pw2')))))")" 1 \
    "the password hash is the server's own"
# restoring over the existing accounts is clean and changes nothing
LC_ALL=C mariadb_client "$dst_SOCK" <"$TAP_TMP/dump.sql" \
    >"$TAP_TMP/r1b.out" 2>&1
ok $? "restoring again over the existing accounts succeeds" ||
    sed 's/^/# /' "$TAP_TMP/r1b.out"
grants "$dst_SOCK" >"$TAP_TMP/after1b" 2>&1
cmp -s "$TAP_TMP/before" "$TAP_TMP/after1b"
ok $? "and leaves every grant as it was"

# 2: cairnctl restore, after dropping the accounts and the database
drop_accounts "$src_SOCK"
mariadb_client "$src_SOCK" -e "DROP DATABASE shop"
is "$(mariadb_client "$src_SOCK" -N -e "SELECT COUNT(*) FROM mysql.user
    WHERE User IN ('u_db', 'u_tab', 'u_col', 'r_exec', 'r_nested', 'u_role')
    OR User LIKE 'x%'")" 0 "the accounts are gone from the source"
"$ctl" restore "$out/$name" --socket "$src_SOCK" --user root \
    >"$TAP_TMP/r2.out" 2>"$TAP_TMP/r2.err"
ok $? "cairnctl restore restores it" || sed 's/^/# /' "$TAP_TMP/r2.err"
grants "$src_SOCK" >"$TAP_TMP/after2" 2>&1
if cmp -s "$TAP_TMP/before" "$TAP_TMP/after2"; then
	ok 0 "SHOW GRANTS is the same as before the accounts were dropped"
else
	ok 1 "SHOW GRANTS is the same as before the accounts were dropped"
	diff "$TAP_TMP/before" "$TAP_TMP/after2" | sed 's/^/# /'
fi

# 3: under another name the grants name the new database
drop_accounts "$dst_SOCK"
"$ctl" restore "$out/$name" --socket "$dst_SOCK" --user root \
    --database copy >"$TAP_TMP/r3.out" 2>"$TAP_TMP/r3.err"
ok $? "cairnctl restore --database copy" || sed 's/^/# /' "$TAP_TMP/r3.err"
grants "$dst_SOCK" >"$TAP_TMP/after3" 2>&1
is "$(grep -c '`shop`' "$TAP_TMP/after3")" 0 \
    "no grant names the source database"
sed 's/`copy`/`shop`/g' "$TAP_TMP/after3" >"$TAP_TMP/after3.renamed"
cmp -s "$TAP_TMP/before" "$TAP_TMP/after3.renamed"
ok $? "every grant is there, on copy" ||
    diff "$TAP_TMP/before" "$TAP_TMP/after3.renamed" | sed 's/^/# /'

# an account that cannot read mysql.*: the dump fails saying what it read
mariadb_client "$src_SOCK" -e "CREATE USER 'nopriv'@'localhost'
    IDENTIFIED BY 'npw'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON shop.*
    TO 'nopriv'@'localhost'" || bail "cannot create nopriv"
printf 'npw' >"$TAP_TMP/npw"
mkdir "$TAP_TMP/out2"
"$dump" -o "$TAP_TMP/out2" -S "$src_SOCK" -u nopriv -p "$TAP_TMP/npw" \
    -d shop -g >"$TAP_TMP/np.out" 2>&1
isnt $? 0 "dump_grants without SELECT on mysql.* fails"
like "$(cat "$TAP_TMP/np.out")" 'dump_grants: read mysql.user: SELECT command denied' \
    "naming the query and the missing privilege"
is "$(ls -A "$TAP_TMP/out2")" "" "and leaves no file behind"

ls "$P" >"$TAP_TMP/pdir"
is "$(cat "$TAP_TMP/pdir")" "" "no injected command ran (no file in $P)"
