#!/bin/sh
# t/68-myconn-server.sh -- myconn_open() against a real MariaDB
# (t/lib/mariadb.sh), through t/myconn-open: the session, ssl_mode, and which
# failures it calls transient (retry: no server yet, too many connections)
# or not (access denied), never quoting the password.  The paths that need
# no server are in t/67-myconn.c.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
open="$top_builddir/t/myconn-open"
[ -x "$open" ] || bail "$open not built"

plan 13
tap_tmpdir

mariadb_start || bail "cannot start a MariaDB server"
mdb -e 'SET GLOBAL max_statement_time = 5'

# the session, as the dump engine gets it
v=$("$open" -S "$MARIADB_SOCK" -l 17 -e 'SELECT @@session.time_zone,
    @@session.sql_mode, @@session.sql_quote_show_create,
    @@session.net_read_timeout, @@session.net_write_timeout,
    @@session.lock_wait_timeout, @@session.max_statement_time,
    @@character_set_client')
is "$v" "$(printf '+00:00\t\t1\t600\t600\t17\t0.000000\tutf8mb4')" \
    "session: UTC, no sql_mode, quoted SHOW CREATE, timeouts, no statement limit, utf8mb4"

mariadb_create_user alice "pw'of\\alice"
printf '%s\n' "pw'of\\alice" >"$TAP_TMP/pw"
printf 'not-the-password-42\n' >"$TAP_TMP/badpw"
v=$("$open" -h 127.0.0.1 -P "$MARIADB_PORT" -u alice -p "$TAP_TMP/pw" \
    -e 'SELECT CURRENT_USER()')
is "$v" "alice@127.0.0.1" "a password account logs in over TCP"

# access denied: not transient, names where, never the password
err=$("$open" -h 127.0.0.1 -P "$MARIADB_PORT" -u alice -p "$TAP_TMP/badpw" \
    -e 'SELECT 1' 2>&1)
is "$?" 3 "a wrong password is a permanent failure (retrying cannot help)"
like "$err" "^127\.0\.0\.1:$MARIADB_PORT: Access denied for user 'alice'" \
    "the message names host:port and the server's cause"
case $err in *not-the-password-42*) r=1 ;; *) r=0 ;; esac
ok $r "the message does not hold the password"
err=$("$open" -S "$MARIADB_SOCK" -u nobody_here -e 'SELECT 1' 2>&1)
is "$?" 3 "an unknown user is permanent too ($err)"

# ssl_mode: disabled never uses TLS; required uses it or refuses for good
v=$("$open" -S "$MARIADB_SOCK" -s disabled \
    -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'")
is "$v" "$(printf 'Ssl_cipher\t')" "ssl_mode disabled: no TLS"
have=$(mdb -N -e 'SELECT @@have_ssl')
v=$("$open" -h 127.0.0.1 -P "$MARIADB_PORT" -u alice -p "$TAP_TMP/pw" \
    -s required -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'" 2>"$TAP_TMP/err")
rc=$?
if [ "$have" = YES ]; then
	ok $([ $rc = 0 ] && [ "${v#Ssl_cipher	}" != "" ]; echo $?) \
	    "ssl_mode required: the server has TLS and the session uses it (${v#Ssl_cipher	})"
else
	ok $([ $rc = 3 ]; echo $?) \
	    "ssl_mode required: a server without TLS is refused for good ($(cat "$TAP_TMP/err"))"
fi

# too many connections: transient
mariadb_create_user bob bobpw "SELECT"
printf 'bobpw\n' >"$TAP_TMP/bobpw"
# (the server's minimum is 10: ten sleepers fill it, root keeps its extra one)
mdb -e 'SET GLOBAL max_connections = 10'
sleepers=
for i in 1 2 3 4 5 6 7 8 9 10; do
	mdb -e 'SELECT SLEEP(60)' >/dev/null 2>&1 &
	sleepers="$sleepers $!"
done
i=0
while [ "$(mdb -N -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST
    WHERE INFO LIKE 'SELECT SLEEP%'")" != 10 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
err=$("$open" -S "$MARIADB_SOCK" -u bob -p "$TAP_TMP/bobpw" -e 'SELECT 1' 2>&1)
is "$?" 2 "too many connections is transient (retry later)"
like "$err" "Too many connections" "with the server's cause ($err)"
mdb -N -e "SET GLOBAL max_connections = 151;
    SELECT ID FROM information_schema.PROCESSLIST
    WHERE INFO LIKE 'SELECT SLEEP%'" | while read -r id; do
	mdb -e "KILL QUERY $id"
done
wait $sleepers
v=$("$open" -S "$MARIADB_SOCK" -u bob -p "$TAP_TMP/bobpw" -e 'SELECT 1')
is "$v" 1 "and the same login works once there is room"

# no server (stopped): transient, like a server still starting
sock=$MARIADB_SOCK
port=$MARIADB_PORT
mariadb_stop
err=$("$open" -S "$sock" -e 'SELECT 1' 2>&1)
is "$?" 2 "a stopped server's socket: transient"
err=$("$open" -h 127.0.0.1 -P "$port" -t 2 -e 'SELECT 1' 2>&1)
is "$?" 2 "a stopped server's port: transient ($err)"
tap_done
