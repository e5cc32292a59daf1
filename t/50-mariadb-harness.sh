#!/bin/sh
# t/50-mariadb-harness.sh -- t/lib/mariadb.sh starts throwaway MariaDB
# servers that the MariaDB C library can reach, by socket and by TCP, with
# password accounts, two at a time, and cleans them up.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
ping="$top_builddir/t/mariadb-ping"
[ -x "$ping" ] || bail "$ping not built"

plan 15
tap_tmpdir

mariadb_start src
ok $? "mariadb_start returns 0" || bail "cannot start a MariaDB server"
m=$(stat -c %a "$src_DIR" 2>/dev/null)
ok $([ -S "$src_SOCK" ] && [ "${src_SOCK#"$src_DIR"/}" != "$src_SOCK" ] &&
    [ "$m" = 700 ]; echo $?) \
    "a server starts in a private folder (its socket in $src_DIR, mode $m)"
v=$("$ping" -S "$src_SOCK" -e 'SELECT VERSION()')
like "$v" 'MariaDB' "the C library connects over the socket and runs a query"
v=$("$ping" -h 127.0.0.1 -P "$src_PORT" -e 'SELECT @@port')
is "$v" "$src_PORT" "the C library connects over TCP on 127.0.0.1"
v=$("$ping" -S "$src_SOCK" -e 'SELECT @@skip_grant_tables')
is "$v" 0 "grants are enforced"

mariadb_create_user alice "s3cr'et\\pw"
ok $? "a user with a password is created"
printf '%s\n' "s3cr'et\\pw" >"$TAP_TMP/pw"
printf 'wrong\n' >"$TAP_TMP/badpw"
v=$("$ping" -S "$src_SOCK" -u alice -p "$TAP_TMP/pw" -e 'SELECT CURRENT_USER()')
is "$v" "alice@localhost" "the user logs in with its password over the socket"
v=$("$ping" -h 127.0.0.1 -P "$src_PORT" -u alice -p "$TAP_TMP/pw" \
    -e 'SELECT CURRENT_USER()')
is "$v" "alice@127.0.0.1" "and over TCP"
err=$("$ping" -S "$src_SOCK" -u alice -p "$TAP_TMP/badpw" 2>&1)
rc=$?
is "$rc" 2 "a wrong password fails to connect"
like "$err" '1045' "with 'access denied' (1045)"

mariadb_start dst || bail "cannot start a second MariaDB server"
isnt "$dst_SOCK" "$src_SOCK" "a second server runs at the same time"
mdb -e 'CREATE DATABASE only_here'
a=$("$ping" -S "$src_SOCK" -e "SHOW DATABASES LIKE 'only_here'")
b=$("$ping" -S "$dst_SOCK" -e "SHOW DATABASES LIKE 'only_here'")
is "$a|$b" "|only_here" "the two servers are separate (mdb talks to the last one)"

srcdir_saved=$src_DIR
mariadb_stop src
[ ! -e "$srcdir_saved" ]
ok $? "mariadb_stop removes the server's folder"
v=$("$ping" -S "$dst_SOCK" -e 'SELECT 1')
is "$v" 1 "the other server still answers"
mariadb_kill dst
! mariadb_running dst
ok $? "mariadb_kill kills the server"
tap_done
