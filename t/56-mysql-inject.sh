#!/bin/sh
# t/56-mysql-inject.sh -- a dump can never be turned against the person
# restoring it (the CVE-2016-5483 class).  Objects of every kind are named,
# commented and owned (DEFINER) with text that would run a client command
# if it reached the stock client outside a quoted identifier or string:
# a newline then "\! touch FILE", a newline then "system touch FILE", a
# "*/" closing a comment, quotes.  The dump must verify, restore with
# `gunzip -c | mariadb` and with `cairnctl restore` (as whoever runs the
# test: root in CI), never create FILE, and restore every object.  A
# dump crafted by hand with a client command outside a statement must be
# failed by the verifier and refused by cairnctl restore.
. "$top_srcdir/t/lib/dumptest.sh"
[ -x "$ctl" ] || bail "$ctl not built"

plan 18
dumptest_servers
# identifiers hold at most 64 characters: a short folder for the files
P=$(mktemp -d /tmp/cj.XXXXXX) || bail "mktemp"
at_exit "rm -rf '$P'"

# evil KIND: the hostile texts for one kind of object, one per line of
# output, each a backquoted-safe SQL fragment (no backquote in them)
nl='
'
evil()
{
	printf 'a%s\\! touch %s/%s1%s#' "$nl" "$P" "$1" "$nl"
}
evil2()
{
	printf 'b%ssystem touch %s/%s2%s' "$nl" "$P" "$1" "$nl"
}
evil3()
{
	printf 'c */ \\! touch %s/%s3 /*' "$P" "$1"
}
# as a string literal (quotes and backslashes doubled for SQL)
lit()
{
	printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"
}

D1=$(evil db); D2=$(evil2 db)
T1=$(evil tb); T2=$(evil2 tb); T3=$(evil3 tb)
C1=$(evil co); C2=$(evil3 co)
V1=$(evil vw); V2=$(evil2 vw)
G1=$(evil tg)
R1=$(evil pr); F1=$(evil fn); E1=$(evil ev); S1=$(evil sq)
U1=$(evil us)
CM1=$(evil cm); CM2=$(evil3 cm)

mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<EOF
CREATE DATABASE \`$D1\`;
CREATE DATABASE \`$D2\`;
USE \`$D1\`;
CREATE USER $(lit "$U1")@'localhost';
GRANT ALL ON *.* TO $(lit "$U1")@'localhost';
CREATE TABLE \`$T1\` (id INT PRIMARY KEY, \`$C1\` VARCHAR(200)
    COMMENT $(lit "$CM1"), \`$C2\` INT) COMMENT $(lit "$CM2") ENGINE=MyISAM;
INSERT INTO \`$T1\` VALUES (1, $(lit "$CM1"), 2), (2, $(lit "$CM2"), 3);
CREATE TABLE \`$T2\` (x INT);
INSERT INTO \`$T2\` VALUES (7);
CREATE TABLE \`$T3\` (x INT) ENGINE=InnoDB;
CREATE SEQUENCE \`$S1\`;
CREATE DEFINER=$(lit "$U1")@'localhost' VIEW \`$V1\` AS
    SELECT id AS \`$C1\`, $(lit "$CM1") AS s FROM \`$T1\`;
CREATE VIEW \`$V2\` AS SELECT * FROM \`$V1\`;
DELIMITER ;;
CREATE DEFINER=$(lit "$U1")@'localhost' TRIGGER \`$G1\` BEFORE INSERT ON \`$T2\`
    FOR EACH ROW BEGIN SET NEW.x = NEW.x + 1; SET @c = $(lit "$CM1"); END;;
CREATE DEFINER=$(lit "$U1")@'localhost' PROCEDURE \`$R1\`(\`$C1\` INT)
    COMMENT $(lit "$CM2")
    BEGIN SELECT \`$C1\`, $(lit "$CM1"); END;;
CREATE DEFINER=$(lit "$U1")@'localhost' FUNCTION \`$F1\`() RETURNS TEXT
    COMMENT $(lit "$CM1")
    RETURN $(lit "$CM2");;
CREATE DEFINER=$(lit "$U1")@'localhost' EVENT \`$E1\` ON SCHEDULE EVERY 1 DAY
    DISABLE COMMENT $(lit "$CM1") DO SELECT $(lit "$CM2");;
DELIMITER ;
USE \`$D2\`;
CREATE TABLE t (x INT);
INSERT INTO t VALUES (1);
EOF
ok $? "the hostile objects are created" ||
    sed 's/^/# /' "$TAP_TMP/load.out"
mariadb_client "$dst_SOCK" -e "CREATE USER $(lit "$U1")@'localhost';
    GRANT ALL ON *.* TO $(lit "$U1")@'localhost'" ||
    bail "cannot create the definer on the target"

"$dump" -o "$out" -S "$src_SOCK" -d "$D1" -d "$D2" -c -V \
    >"$TAP_TMP/dump.out" 2>"$TAP_TMP/dump.err"
ok $? "the engine dumps them" || sed 's/^/# /' "$TAP_TMP/dump.err"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
    "the verifier passes the dump"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
gunzip -c "$out/$name" >"$TAP_TMP/dump.sql"
is "$(sed -n 2p "$TAP_TMP/dump.sql")" '/*M!999999\- enable the sandbox mode */' \
    "line 2 switches the stock client into its sandbox mode"
# a comment line never holds a name cut by its newline: such names are
# written X'hex' there
bad=$(grep -c -e '^-- .*`[ab]$' -e '^DELIMITER .*[`]' "$TAP_TMP/dump.sql")
is "$bad" 0 "no comment or DELIMITER line holds a name cut by a newline"
grep -q "^-- cairn rows X'610a5c21" "$TAP_TMP/dump.sql"
ok $? "markers carry such names as X'hex'"

gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" >/dev/null 2>"$TAP_TMP/restore.err"
ok $? "gunzip -c | mariadb restores it" ||
    sed 's/^/# /' "$TAP_TMP/restore.err"
is "$(ls "$P")" "" "no injected command ran (gunzip -c | mariadb)"
db_fingerprint "$src_SOCK" "$D1" >"$TAP_TMP/d1.src"
db_fingerprint "$dst_SOCK" "$D1" >"$TAP_TMP/d1.dst"
db_compare "every hostile object restores identically" \
    "$TAP_TMP/d1.src" "$TAP_TMP/d1.dst"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM
    information_schema.ROUTINES WHERE ROUTINE_SCHEMA = $(lit "$D1")")" 2 \
    "the procedure and the function are back"

# the second path: cairnctl restore, run by root where the test runs as root
mariadb_client "$dst_SOCK" -e "DROP DATABASE \`$D1\`; DROP DATABASE \`$D2\`"
"$ctl" restore "$out/$name" --socket "$dst_SOCK" --user root \
    >"$TAP_TMP/ctl.out" 2>"$TAP_TMP/ctl.err"
ok $? "cairnctl restore restores it (uid $(id -u))" ||
    sed 's/^/# /' "$TAP_TMP/ctl.err"
is "$(ls "$P")" "" "no injected command ran (cairnctl restore)"
db_fingerprint "$dst_SOCK" "$D1" >"$TAP_TMP/d1.ctl"
db_compare "cairnctl restore brings every object back" \
    "$TAP_TMP/d1.src" "$TAP_TMP/d1.ctl"

"$ctl" restore "$out/$name" --socket "$dst_SOCK" --user root \
    --database other >/dev/null 2>"$TAP_TMP/other.err"
like "$(cat "$TAP_TMP/other.err")" 'name spans lines: --database cannot' \
    "--database refuses to rename a name that spans lines"

# a hand-made dump: a client command outside any statement, the marker
# intact; what an attacker who can write the artifact would try
evil_art=$out/evil_backup_20260101_000000.sql.gz
{ sed -n 1p "$TAP_TMP/dump.sql"
  printf 'SELECT 1;\n\\! touch %s/handmade\nsystem touch %s/handmade2\n' \
      "$P" "$P"
  tail -n 1 "$TAP_TMP/dump.sql"; } | gzip >"$evil_art"
"$dump" -o "$out" -W "$(basename "$evil_art")" >"$TAP_TMP/v.out" 2>&1
like "$(cat "$TAP_TMP/v.out")" 'client command' \
    "the verifier fails a dump with a client command outside a statement"
"$ctl" restore "$evil_art" --socket "$dst_SOCK" --user root --force \
    >"$TAP_TMP/evil.out" 2>"$TAP_TMP/evil.err"
isnt $? 0 "cairnctl restore refuses it, even with --force"
like "$(cat "$TAP_TMP/evil.err")" 'client command' "saying why"
is "$(ls "$P")" "" "and nothing ran"
