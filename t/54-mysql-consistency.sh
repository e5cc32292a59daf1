#!/bin/sh
# t/54-mysql-consistency.sh -- while a client keeps moving money between two
# tables in transactions (the total never changes), every dump restores with
# the exact total: all tables come from one snapshot.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"
N=10

plan $((2 * N + 2))
tap_tmpdir
out=$TAP_TMP/out
mkdir "$out"

mariadb_start src || bail "cannot start the source server"
# a large table between the two accounts tables widens the window in
# which a dump without a snapshot would see a transfer half done
mdb -e "CREATE DATABASE bank; USE bank;
    CREATE TABLE bank.acct_a (id INT PRIMARY KEY, bal BIGINT NOT NULL);
    CREATE TABLE bank.acct_m_filler (id INT PRIMARY KEY, pad CHAR(100));
    CREATE TABLE bank.acct_z (id INT PRIMARY KEY, bal BIGINT NOT NULL);
    CREATE TABLE bank.moves (id INT PRIMARY KEY, n BIGINT NOT NULL);
    INSERT INTO bank.acct_a SELECT seq, 1000 FROM seq_1_to_1000;
    INSERT INTO bank.acct_z SELECT seq, 1000 FROM seq_1_to_1000;
    INSERT INTO bank.acct_m_filler SELECT seq, REPEAT('x', 100) FROM seq_1_to_200000;
    INSERT INTO bank.moves VALUES (1, 0);" || bail "cannot create the data"
total=2000000
mariadb_start dst || bail "cannot start the target server"

# the mover: one client, transfers as fast as it can until stopped
(
	i=0
	while :; do
		i=$((i + 1))
		k=$((i % 1000 + 1))
		echo "START TRANSACTION;
UPDATE bank.acct_a SET bal = bal - $i % 97 WHERE id = $k;
UPDATE bank.acct_z SET bal = bal + $i % 97 WHERE id = 1001 - $k;
UPDATE bank.moves SET n = n + 1 WHERE id = 1;
COMMIT;"
	done | mariadb_client "$src_SOCK" >/dev/null 2>&1
) &
mover=$!
at_exit "kill $mover"

moves_before=$(mariadb_client "$src_SOCK" -N -e "SELECT n FROM bank.moves")
i=1
while [ $i -le $N ]; do
	rm -f "$out"/*
	"$dump" -o "$out" -S "$src_SOCK" -d bank -s $((1700000000 + i)) \
	    >"$TAP_TMP/dump.out" 2>"$TAP_TMP/dump.err"
	ok $? "dump $i while transfers run"
	name=$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
	got=$(gunzip -c "$out/$name" | mariadb_client "$dst_SOCK" 2>&1 &&
	    mariadb_client "$dst_SOCK" -N -e "SELECT
	    (SELECT SUM(bal) FROM bank.acct_a) + (SELECT SUM(bal) FROM bank.acct_z)")
	is "$got" "$total" "dump $i restores with the exact total"
	i=$((i + 1))
done
moves_after=$(mariadb_client "$src_SOCK" -N -e "SELECT n FROM bank.moves")
kill $mover 2>/dev/null
[ "$moves_after" -gt "$moves_before" ]
ok $? "transfers were committed during the dumps ($moves_before -> $moves_after)"
is "$(mariadb_client "$src_SOCK" -N -e "SELECT (SELECT SUM(bal) FROM bank.acct_a) + (SELECT SUM(bal) FROM bank.acct_z)")" \
    "$total" "the source's total never changed either"
tap_done
