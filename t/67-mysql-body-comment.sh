#!/bin/sh
# t/67-mysql-body-comment.sh -- bodies whose last line ends in a comment
# (t/fixtures/body-comments.sql).  Written as "BODY # note;;" after a
# DELIMITER line, the comment took the delimiter: the stock client read on
# into the next statements and the restore stopped (ERROR 1064), losing
# everything after it, while the verifier passed the dump.  cairn now
# writes such a statement as EXECUTE IMMEDIATE of a string: the plain
# client and cairnctl restore bring every body back byte for byte.
. "$top_srcdir/t/lib/dumptest.sh"

plan 7
dumptest_servers
mariadb_client "$src_SOCK" --comments \
    <"$top_srcdir/t/fixtures/body-comments.sql" >"$TAP_TMP/load.out" 2>&1
ok $? "the fixture loads" || sed 's/^/# /' "$TAP_TMP/load.out"
is "$(mariadb_client "$src_SOCK" -N -e "SELECT COUNT(*) FROM mysql.proc
    WHERE db = 'bc' AND body LIKE '%# note%'")" 1 \
    "the server kept the comment in the body"
"$dump" -o "$TAP_TMP/out" -S "$src_SOCK" -d bc -V >"$TAP_TMP/dump.out" \
    2>"$TAP_TMP/dump.err"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
    "dumped, the verifier passes it" || sed 's/^/# /' "$TAP_TMP/dump.err"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
db_fingerprint "$src_SOCK" bc >"$TAP_TMP/a.fp"

gunzip -c "$TAP_TMP/out/$name" | mariadb_client "$dst_SOCK" \
    >"$TAP_TMP/plain.out" 2>&1
ok $? "gunzip -c | mariadb restores it" || sed 's/^/# /' "$TAP_TMP/plain.out"
db_fingerprint "$dst_SOCK" bc >"$TAP_TMP/b.fp" 2>&1
db_compare "every body comes back with its comment" "$TAP_TMP/a.fp" \
    "$TAP_TMP/b.fp"

mariadb_client "$dst_SOCK" -e "DROP DATABASE bc"
"$ctl" restore "$TAP_TMP/out/$name" --socket "$dst_SOCK" --user root \
    >"$TAP_TMP/r.out" 2>"$TAP_TMP/r.err"
ok $? "cairnctl restore" || sed 's/^/# /' "$TAP_TMP/r.err"
db_fingerprint "$dst_SOCK" bc >"$TAP_TMP/c.fp" 2>&1
db_compare "cairnctl restore too" "$TAP_TMP/a.fp" "$TAP_TMP/c.fp"
