#!/bin/sh
# t/58-mysql-bigrow.sh -- one 100 MB LONGBLOB row (a 200 MB INSERT once
# hex-encoded) verifies: the verifier's statement cap follows what the dump
# may legally hold (max_allowed_packet, up to 1 GiB), and it holds only the
# head of a long statement, so its memory stays far below the statement.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
[ -x /usr/bin/time ] || skip_all "no /usr/bin/time (package time)"
dump="$top_builddir/t/mysql-dump"

plan 4
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"
mariadb_start src --max-allowed-packet=512M || bail "cannot start the source server"
mariadb_client "$src_SOCK" -e "CREATE DATABASE big; CREATE TABLE big.b
    (id INT PRIMARY KEY, v LONGBLOB); INSERT INTO big.b VALUES
    (1, REPEAT('x', 100 * 1024 * 1024)), (2, 'small')" ||
    bail "cannot load the row"

"$dump" -o "$out" -S "$src_SOCK" -d big -V >"$TAP_TMP/dump.out" \
    2>"$TAP_TMP/dump.err"
ok $? "the engine dumps it" || sed 's/^/# /' "$TAP_TMP/dump.err"
is "$(grep '^verify' "$TAP_TMP/dump.out")" "verify ok" \
    "the verifier passes it (rows counted from a 200 MB statement)"
name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
/usr/bin/time -f 'maxrss %M' -o "$TAP_TMP/time" "$dump" -o "$out" -W "$name" \
    >"$TAP_TMP/w.out" 2>&1
is "$(cat "$TAP_TMP/w.out")" "verify ok" "verified again on its own"
rss=$(sed -n 's/^maxrss //p' "$TAP_TMP/time")
[ -n "$rss" ] && [ "$rss" -lt 65536 ]
ok $? "in bounded memory: max RSS ${rss} KiB for a 200 MB statement"
