#!/bin/sh
# t/67-mysql-crlf.sh -- names and bodies holding CR LF (t/fixtures/
# crlf-names.sql, reduced from seed 2035 of t/66-mysql-roundtrip.sh).
# The stock client reading a file or a pipe drops the CR of a line that ends
# in CR LF, even inside a quoted name (`--binary-mode` keeps it).  cairn
# writes every statement whose text holds CR LF as EXECUTE IMMEDIATE of a
# string that spells each CR out, so that plain `gunzip -c | mariadb`,
# the client in binary mode and cairnctl restore all give the server the
# exact bytes: everything comes back exactly (names of every kind, bodies,
# rows of a table so named, quotes and backslashes next to CR LF).
. "$top_srcdir/t/lib/dumptest.sh"
db=$(printf 'crlf\r\ndb')

plan 7
dumptest_servers
mariadb_client "$src_SOCK" <"$top_srcdir/t/fixtures/crlf-names.sql" \
    >"$TAP_TMP/load.out" 2>&1
ok $? "the fixture loads" || sed 's/^/# /' "$TAP_TMP/load.out"
"$dump" -o "$TAP_TMP/out" -S "$src_SOCK" -d "$db" -V >"$TAP_TMP/dump.out" \
    2>"$TAP_TMP/dump.err"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
    "dumped, the verifier passes it" || sed 's/^/# /' "$TAP_TMP/dump.err"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
db_fingerprint "$src_SOCK" "$db" >"$TAP_TMP/a.fp"

"$ctl" restore "$TAP_TMP/out/$name" --socket "$dst_SOCK" --user root \
    >"$TAP_TMP/r.out" 2>"$TAP_TMP/r.err"
ok $? "cairnctl restore" || sed 's/^/# /' "$TAP_TMP/r.err"
db_fingerprint "$dst_SOCK" "$db" >"$TAP_TMP/b.fp" 2>&1
db_compare "cairnctl restore keeps every CR LF" "$TAP_TMP/a.fp" \
    "$TAP_TMP/b.fp"

mariadb_client "$dst_SOCK" -e "DROP DATABASE \`$db\`"
gunzip -c "$TAP_TMP/out/$name" | mariadb_client "$dst_SOCK" --binary-mode \
    >/dev/null 2>&1
db_fingerprint "$dst_SOCK" "$db" >"$TAP_TMP/c.fp" 2>&1
db_compare "gunzip -c | mariadb --binary-mode keeps every CR LF" \
    "$TAP_TMP/a.fp" "$TAP_TMP/c.fp"

mariadb_client "$dst_SOCK" -e "DROP DATABASE \`$db\`"
gunzip -c "$TAP_TMP/out/$name" | mariadb_client "$dst_SOCK" \
    >"$TAP_TMP/plain.out" 2>&1
ok $? "gunzip -c | mariadb (no --binary-mode) restores it" ||
    sed 's/^/# /' "$TAP_TMP/plain.out"
db_fingerprint "$dst_SOCK" "$db" >"$TAP_TMP/d.fp" 2>&1
db_compare "gunzip -c | mariadb keeps every CR LF" "$TAP_TMP/a.fp" \
    "$TAP_TMP/d.fp"
