#!/bin/sh
# t/67-mysql-restore-rename.sh -- cairnctl restore --database OTHER refuses a
# dump whose routines, packages, triggers, events or views name their own
# database (`src`.`t`, src.t, src . t, "src".t under sql_mode ORACLE, a
# view's call src.f()): after the rename their bodies would still
# read or write src.  The refusal names the file, the line, the object's
# kind and name, comes before anything reaches the server (nothing is
# created in OTHER), on both restore paths (one stream and --jobs); with
# --force the dump is restored with a warning.  Bodies that do not name
# their database (or only inside a string or a comment, or a database whose
# name merely contains it) restore under --database as before, and the
# refused dump restores under its own name; the ALTER DATABASE lines around
# routines created under another collation follow the rename.  A mariadb-dump file (no USE)
# is judged by the database on its "-- Host:" line; without that line the
# restore is refused too.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"
ctl=$CAIRNCTL

plan 43
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"
mariadb_start src || bail "cannot start the source server"
mariadb_start dst || bail "cannot start the target server"
q()
{
	mariadb_client "$dst_SOCK" -N -e "$1"
}

# each object names its own database once, in another way
mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<'SQL'
CREATE DATABASE src;
USE src;
CREATE TABLE t (id INT PRIMARY KEY);
CREATE TABLE log (id INT);
INSERT INTO t VALUES (1), (2);
INSERT INTO log VALUES (1), (2);
CREATE PROCEDURE p_named() SELECT COUNT(*) FROM `src`.`t`;
CREATE FUNCTION f_named() RETURNS INT READS SQL DATA
    RETURN (SELECT COUNT(*) FROM src.t);
CREATE TRIGGER trg_named AFTER INSERT ON t FOR EACH ROW
    INSERT INTO src . log VALUES (NEW.id);
CREATE EVENT ev_named ON SCHEDULE EVERY 1 DAY DISABLE
    DO DELETE FROM `src`
    .`log`;
CREATE VIEW v_named AS SELECT src.f_named() AS c;
SET sql_mode = ORACLE;
DELIMITER //
CREATE PACKAGE pk AS PROCEDURE pp; END;
//
CREATE PACKAGE BODY pk AS PROCEDURE pp AS BEGIN DELETE FROM "src".log WHERE 1 = 0; END; END;
//
DELIMITER ;
SQL
st=$?
# a name with a line break and an escape sequence: printed visibly
printf 'CREATE PROCEDURE src.`p\n\033[31m`() SELECT COUNT(*) FROM src.t;\n' |
    mariadb_client "$src_SOCK" >>"$TAP_TMP/load.out" 2>&1 || st=1
ok $st "the source database is created"
[ $st = 0 ] || sed 's/^/# /' "$TAP_TMP/load.out"
"$dump" -o "$out" -S "$src_SOCK" -d src >"$TAP_TMP/dump.out" 2>&1 ||
    bail "cannot dump src"
art=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
# line of the procedure's body in the dump: the message must name it
pline=$(gzip -dc "$art" | grep -n 'FROM `src`.`t`' | head -1 | cut -d: -f1)

"$ctl" restore "$art" --socket "$dst_SOCK" --user root --database other \
    >"$TAP_TMP/r1.out" 2>"$TAP_TMP/r1.err"
is $? 64 "restore --database other is refused (usage error)"
err=$(cat "$TAP_TMP/r1.err")
like "$err" "line $pline: PROCEDURE \`p_named\` names its own database \`src\`" \
    "naming the line, the procedure and the database" ||
    sed 's/^/# /' "$TAP_TMP/r1.err"
like "$err" 'FUNCTION `f_named`' "naming the function"
like "$err" 'TRIGGER `trg_named`' "naming the trigger"
like "$err" 'EVENT `ev_named`' "naming the event"
like "$err" 'VIEW `v_named`' "naming the view (its call src.f_named())"
like "$err" 'PACKAGE BODY `pk` names' \
    'naming the package body ("src".log under sql_mode ORACLE)'
like "$err" 'PROCEDURE `p\\n\\x1b\[31m` names' "naming a hostile name visibly"
printf '%s' "$err" | grep -q "$(printf '\033')"
nok $? "no escape byte reaches the terminal"
like "$err" 'restore it under its own name \(without --database\), or use --force' \
    "saying what to do"
like "$err" "$(basename "$art")" "naming the file"
is "$(q "SHOW DATABASES LIKE 'other'")" "" "nothing was created in other"

"$ctl" restore "$art" --socket "$dst_SOCK" --user root --database other \
    --jobs 2 >"$TAP_TMP/r2.out" 2>"$TAP_TMP/r2.err"
is $? 64 "refused with --jobs 2 as well (the parallel path)"
is "$(q "SHOW DATABASES LIKE 'other'")" "" "nothing was created in other"

"$ctl" restore "$art" --socket "$dst_SOCK" --user root --database src \
    >"$TAP_TMP/r3.out" 2>"$TAP_TMP/r3.err"
ok $? "--database with the dump's own name is not refused" ||
    sed 's/^/# /' "$TAP_TMP/r3.err"
q "DROP DATABASE src"

"$ctl" restore "$art" --socket "$dst_SOCK" --user root \
    >"$TAP_TMP/r5.out" 2>"$TAP_TMP/r5.err"
ok $? "the same dump restores under its own name" ||
    sed 's/^/# /' "$TAP_TMP/r5.err"
is "$(q "CALL src.p_named()")" 2 "and its procedure reads its table"

# its view calls src.f_named(): src must exist for --force to succeed; a
# third row in src.t tells which table the renamed procedure reads
q "INSERT INTO src.t VALUES (3)"
"$ctl" restore "$art" --socket "$dst_SOCK" --user root --database other \
    --force --jobs 2 >"$TAP_TMP/r4.out" 2>"$TAP_TMP/r4.err"
ok $? "with --force it is restored" || sed 's/^/# /' "$TAP_TMP/r4.err"
like "$(cat "$TAP_TMP/r4.err")" 'restoring anyway \(--force\): their bodies keep naming `src`' \
    "with a warning"
like "$(cat "$TAP_TMP/r4.out")" 'database other .*rows over 2 connections' \
    "by the parallel path"
is "$(q "SELECT COUNT(*) FROM information_schema.ROUTINES
    WHERE ROUTINE_SCHEMA = 'other'")" 5 "its routines are in other"
is "$(q "CALL other.p_named()")" 3 "whose bodies still read src (as warned)"

# no false alarm: the name only in strings and comments, another database
# whose name contains it, unqualified names
mariadb_client "$src_SOCK" --comments >"$TAP_TMP/load2.out" 2>&1 <<'SQL'
CREATE DATABASE clean CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE clean;
CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(40));
CREATE TABLE log (id INT);
INSERT INTO t VALUES (1, 'clean.t'), (2, '`clean`.`t`');
CREATE PROCEDURE p() SELECT COUNT(*), 'clean.t', "`clean`.x" FROM t;
CREATE FUNCTION f() RETURNS VARCHAR(40) DETERMINISTIC RETURN 'clean.t';
CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW
    INSERT INTO log VALUES (NEW.id + LENGTH('clean . log'));
CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DISABLE
    DO DELETE FROM log WHERE id = LENGTH('clean.log');
CREATE PROCEDURE p_comment() SELECT 1 /* clean.t */ + 1 -- clean.log
    FROM t # `clean`.t
    LIMIT 1;
CREATE PROCEDURE p_other() SELECT COUNT(*) FROM uncleaned.t, clean_x.t, xclean.t;
CREATE VIEW v AS SELECT f() AS c, 'clean.t' AS s, t.id FROM t;
-- the routines were created under another default collation: the dump
-- sets it around them with ALTER DATABASE, which must follow the rename
ALTER DATABASE clean CHARACTER SET latin1 COLLATE latin1_swedish_ci;
SQL
st=$?; ok $st "a database whose bodies do not name it is created"
[ $st = 0 ] || sed 's/^/# /' "$TAP_TMP/load2.out"
"$dump" -o "$out" -S "$src_SOCK" -d clean -s 1700000000 \
    >"$TAP_TMP/dump2.out" 2>&1 || bail "cannot dump clean"
art2=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump2.out")
"$ctl" restore "$art2" --socket "$dst_SOCK" --user root --database copy \
    >"$TAP_TMP/r6.out" 2>"$TAP_TMP/r6.err"
ok $? "it restores under --database copy" || sed 's/^/# /' "$TAP_TMP/r6.err"
grep -q 'own database' "$TAP_TMP/r6.err"
nok $? "without a warning about its bodies"
is "$(q "SELECT COUNT(*) FROM information_schema.ROUTINES
    WHERE ROUTINE_SCHEMA = 'copy'")" 4 "its routines are in copy"
is "$(q "SELECT c FROM copy.v LIMIT 1")" "clean.t" "its view reads copy"
is "$(q "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA
    WHERE SCHEMA_NAME = 'copy'")" latin1_swedish_ci \
    "copy has the database's collation"
is "$(q "SELECT DISTINCT DATABASE_COLLATION FROM information_schema.ROUTINES
    WHERE ROUTINE_SCHEMA = 'copy'")" utf8mb4_general_ci \
    "its routines the one they were created under (ALTER DATABASE renamed)"
is "$(q "SHOW DATABASES LIKE 'clean'")" "" "nothing was created as clean"

# a definition longer than pass 1 keeps of a statement (1 MiB) cannot be
# read whole: refused as well, saying so
{
	printf "CREATE DATABASE big;\nCREATE PROCEDURE big.p() SELECT LENGTH('"
	head -c 1200000 /dev/zero | tr '\0' x
	printf "');\n"
} | mariadb_client "$src_SOCK" --max-allowed-packet=16M \
    >"$TAP_TMP/load3.out" 2>&1
ok $? "a database with a 1.2 MB procedure is created" ||
    sed 's/^/# /' "$TAP_TMP/load3.out"
"$dump" -o "$out" -S "$src_SOCK" -d big -s 1700000100 \
    >"$TAP_TMP/dump3.out" 2>&1 || bail "cannot dump big"
art3=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump3.out")
"$ctl" restore "$art3" --socket "$dst_SOCK" --user root --database big2 \
    >"$TAP_TMP/r9.out" 2>"$TAP_TMP/r9.err"
is $? 64 "a routine too long to check is refused under --database"
like "$(cat "$TAP_TMP/r9.err")" 'PROCEDURE `p`: its definition is longer than pass 1 reads of a statement \(1 MiB\)' \
    "saying why"

# a body written in another character set than the name (latin1 bytes
# for `b\xfccher`, the USE in UTF-8): the bytes cannot be compared, so the
# restore is refused rather than risk missing it
printf 'CREATE DATABASE `b\303\274cher`;
SET NAMES latin1;
CREATE TABLE `b\374cher`.t (id INT);
CREATE PROCEDURE `b\374cher`.p() SELECT COUNT(*) FROM `b\374cher`.t;
' | mariadb_client "$src_SOCK" >"$TAP_TMP/load4.out" 2>&1
ok $? "a database with a non-ASCII name and a latin1 procedure is created" ||
    sed 's/^/# /' "$TAP_TMP/load4.out"
"$dump" -o "$out" -S "$src_SOCK" -d "$(printf 'b\303\274cher')" -s 1700000200 \
    >"$TAP_TMP/dump4.out" 2>&1 || bail "cannot dump the latin1 database"
art4=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump4.out")
"$ctl" restore "$art4" --socket "$dst_SOCK" --user root --database b2 \
    >"$TAP_TMP/r10.out" 2>"$TAP_TMP/r10.err"
is $? 64 "a body in another character set than its database's name is refused"
like "$(cat "$TAP_TMP/r10.err")" 'PROCEDURE `p`: written in character set latin1' \
    "saying why"
is "$(q "SHOW DATABASES LIKE 'b2'")" "" "nothing was created in b2"

# mariadb-dump without --databases writes no USE: the database it names as
# its own is the one on its header line; without that line it cannot be
# told, and the restore is refused as well
mdump=$(command -v mariadb-dump || command -v mysqldump)
if [ -n "$mdump" ]; then
	mkdir "$TAP_TMP/md" "$TAP_TMP/md2"
	md=$TAP_TMP/md/md_backup_20240101_000000.sql.gz
	"$mdump" --socket="$src_SOCK" --user=root -R src 2>"$TAP_TMP/md.err" |
	    gzip >"$md"
	"$ctl" restore "$md" --socket "$dst_SOCK" --user root --database md \
	    >"$TAP_TMP/r7.out" 2>"$TAP_TMP/r7.err"
	is $? 64 "a mariadb-dump dump naming its database is refused" ||
	    sed 's/^/# /' "$TAP_TMP/r7.err" "$TAP_TMP/md.err"
	like "$(cat "$TAP_TMP/r7.err")" 'PROCEDURE `p_named` names its own database `src`' \
	    "naming its procedure (the database from its header line)"
	md2=$TAP_TMP/md2/md_backup_20240101_000000.sql.gz
	gzip -dc "$md" | grep -v '^-- Host: ' | gzip >"$md2"
	"$ctl" restore "$md2" --socket "$dst_SOCK" --user root --database md \
	    >"$TAP_TMP/r8.out" 2>"$TAP_TMP/r8.err"
	is $? 64 "without its header line it is refused too" ||
	    sed 's/^/# /' "$TAP_TMP/r8.err"
	like "$(cat "$TAP_TMP/r8.err")" 'no USE before it: cannot tell' \
	    "saying why"
	is "$(q "SHOW DATABASES LIKE 'md'")" "" "nothing was created in md"
else
	skip 5 "no mariadb-dump or mysqldump"
fi
