#!/bin/sh
# t/55-mysql-failures.sh -- every way a dump can fail ends cleanly: the right
# CAIRN_E_* code, a one-line cause, and no file left in the folder (neither
# under its final name nor as a partial).  Failures mid-dump are injected
# while t/mysql-dump -w holds the dump in the middle of a table's rows.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"

plan 23
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"

# $1: description; checks the folder is empty, and empties it
empty()
{
	left=$(ls -A "$out")
	is "$left" "" "$1"
	rm -f "$out"/* "$out"/.[!.]* 2>/dev/null
}

wait_file()
{
	i=0
	while [ ! -e "$1" ]; do
		[ $i -ge 1200 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# start a dump of db `big` held mid-table; sets $pid
start_paused()
{
	rm -f "$TAP_TMP/pause"
	"$dump" -o "$out" -S "$src_SOCK" -d big -w "$TAP_TMP/pause" "$@" \
	    >"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt" &
	pid=$!
	wait_file "$TAP_TMP/pause" || bail "the dump never reached its pause"
}

mariadb_start src || bail "cannot start a MariaDB server"
mdb -e "CREATE DATABASE seq; CREATE DATABASE tiny; CREATE TABLE tiny.t (id INT PRIMARY KEY);
    INSERT INTO tiny.t VALUES (1), (2);
    CREATE DATABASE big;
    CREATE TABLE big.a_rows (id INT PRIMARY KEY, h CHAR(32)) ENGINE=InnoDB;
    INSERT INTO big.a_rows SELECT seq, MD5(seq) FROM seq.seq_1_to_1000000;
    CREATE TABLE big.b_after (id INT);" || bail "cannot create the data"
mariadb_create_user dumper 'right horse battery' || bail "cannot create a user"
printf 'right horse battery\n' >"$TAP_TMP/pw"
printf 'wrong\n' >"$TAP_TMP/badpw"

"$dump" -o "$out" -S "$src_SOCK" -u dumper -p "$TAP_TMP/badpw" -d tiny \
    >/dev/null 2>"$TAP_TMP/err.txt"
is $? 90 "a wrong password fails with CAIRN_E_DB_CONNECT (90)"
like "$(cat "$TAP_TMP/err.txt")" '^error 90: mysql: connect socket .*: Access denied for user .dumper.' \
    "the cause is one line naming the server and the refusal"
empty "no file is left"
"$dump" -o "$out" -S "$src_SOCK" -u dumper -p "$TAP_TMP/pw" -d tiny >/dev/null 2>&1
ok $? "the right password works (the refusal above was the password's)"
rm -f "$out"/*

"$dump" -o "$out" -S "$src_SOCK" -d tiny -d nope >/dev/null 2>"$TAP_TMP/err.txt"
is $? 94 "an unknown database fails with CAIRN_E_SOURCE (94)"
like "$(cat "$TAP_TMP/err.txt")" "unknown database 'nope'" "and says which"
empty "no file is left"

"$dump" -o "$out" -S "$TAP_TMP/nothing.sock" -d tiny >/dev/null 2>"$TAP_TMP/err.txt"
is $? 90 "no server: CAIRN_E_DB_CONNECT at once when not the first run"
empty "no file is left"

# first run: the server shows up late (docker-compose); the socket appears
# as a link a moment after the dump started
"$dump" -o "$out" -S "$TAP_TMP/late.sock" -d tiny -f -r 120 \
    >"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt" &
pid=$!
sleep 2
ln -s "$src_SOCK" "$TAP_TMP/late.sock"
wait $pid
ok $? "on the first run it keeps trying until the server answers"
grep -q 'retrying' "$TAP_TMP/err.txt"
ok $? "and logs each retry"
rm -f "$out"/*

start_paused
kill -TERM $pid
wait $pid
rc=$?
diag "$(grep '^error' "$TAP_TMP/err.txt")"
is $rc 75 "cancelled mid-table: CAIRN_E_TEMPFAIL (75)"
empty "the partial file is removed"

start_paused
id=$(mdb -N -e "SELECT ID FROM information_schema.PROCESSLIST
    WHERE INFO LIKE 'SELECT /*!40001 SQL_NO_CACHE */%'")
mdb -e "KILL $id"
rm -f "$TAP_TMP/pause"
wait $pid
rc=$?
diag "$(grep '^error' "$TAP_TMP/err.txt")"
is $rc 91 "its connection KILLed mid-table: CAIRN_E_DB_DUMP (91)"
empty "no file is left"

start_paused -T 3
kill -STOP "$src_PID"
rm -f "$TAP_TMP/pause"
wait $pid
rc=$?
kill -CONT "$src_PID"
diag "$(grep '^error' "$TAP_TMP/err.txt")"
is $rc 91 "the server stalls mid-table: the read timeout fails the dump (91)"
like "$(cat "$TAP_TMP/err.txt")" 'no data from the server for 3 s \(read_timeout\)' \
    "and the message says it was the read timeout"
empty "no file is left"

if [ "$(id -u)" -ne 0 ]; then
	skip 3 "a tiny tmpfs needs root"
elif ! mkdir "$TAP_TMP/full" ||
    ! mount -t tmpfs -o size=1m tmpfs "$TAP_TMP/full" 2>/dev/null; then
	skip 3 "cannot mount a tmpfs here"
else
	at_exit "umount '$TAP_TMP/full'"
	"$dump" -o "$TAP_TMP/full" -S "$src_SOCK" -d big -z gzip -l 1 \
	    >/dev/null 2>"$TAP_TMP/err.txt"
	rc=$?
	diag "$(grep '^error' "$TAP_TMP/err.txt")"
	is $rc 92 "a full disk fails with CAIRN_E_STORE (92)"
	like "$(cat "$TAP_TMP/err.txt")" 'No space left on device' "and says so"
	is "$(ls -A "$TAP_TMP/full")" "" "the partial file is removed"
fi

start_paused
mariadb_kill src
rm -f "$TAP_TMP/pause"
wait $pid
rc=$?
diag "$(grep '^error' "$TAP_TMP/err.txt")"
is $rc 91 "the server dies mid-table: CAIRN_E_DB_DUMP (91)"
empty "no file is left"
tap_done
