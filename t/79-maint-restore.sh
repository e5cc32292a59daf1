#!/bin/sh
# t/79-maint-restore.sh -- the verify worker's restore test through the real
# daemon and a real MariaDB server: a good dump restores and passes; an
# edited dump whose table lost a row (its catalog row updated to the edited
# file, so the stream, SHA-256, size and row-count checks all pass) is
# caught by the restore alone.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/daemon.sh"

mariadb_available || skip_all "MariaDB server not installed"
daemon_setup
plan 8

mariadb_start || bail "cannot start a MariaDB server"
mdb -e "CREATE DATABASE shop;
    CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40));
    INSERT INTO shop.items VALUES (1, 'fir'), (2, 'oak'), (3, 'yew');" ||
    bail "cannot fill the database"
mariadb_create_user backup 'b-pw' "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS"
mariadb_create_user restorer 'r-pw'
printf 'b-pw\n' > "$T/pw"
printf 'r-pw\n' > "$T/rpw"
chmod 600 "$T/pw" "$T/rpw"

conf_head "$T/c.conf" "mysql main {
	socket = \"$MARIADB_SOCK\"
	user = \"backup\"
	password_file = \"$T/pw\"
	databases = { \"shop\" }
}" "verify {
	restore_test = true
	target {
		socket = \"$MARIADB_SOCK\"
		user = \"restorer\"
		password_file = \"$T/rpw\"
		database = \"scratch\"
	}
}"
q()
{
	sqlite3 "$T/bk/catalog.db" "$1"
}

"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "a cycle with the restore test on exits 0" || show_log
X=$(cd "$T/bk/main" && ls main_backup_*.sql.gz)
audit_has artifact-verified "\"artifact\":\"$X\""
ok $? "the good dump restored and verified" || show_log
is "$(mdb -N -e "SHOW DATABASES LIKE 'scratch%'")" "" \
    "the scratch database was dropped afterwards"

# the edit: the third row's key becomes the second's, so the dump still
# holds three rows for the static checks but restores only by failing
gunzip -c "$T/bk/main/$X" > "$T/dump.sql"
grep -q "(3,'yew')" "$T/dump.sql" || bail "unexpected dump format"
sed "s/(3,'yew')/(2,'yew')/" "$T/dump.sql" | gzip -c > "$T/bk/main/$X"
sha=$(sha256sum "$T/bk/main/$X" | cut -d' ' -f1)
size=$(wc -c < "$T/bk/main/$X")
q "UPDATE artifacts SET sha256 = '$sha', stored_bytes = $size
    WHERE path = 'main/$X'"
sleep 1		# the next dump gets another name

"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
isnt $? 0 "cairnd -o exits non-zero" || show_log
audit_has artifact-verify-failed "\"artifact\":\"$X\",\"check\":\"restore\""
ok $? "only the restore test caught it (check restore)" ||
    grep verify-failed "$T/bk/audit.log" | sed 's/^/# /'
is "$(q "SELECT status FROM artifacts WHERE path = 'main/$X'")" \
    failed-verify "the catalog marks it failed"
q "SELECT verify_result FROM artifacts WHERE path = 'main/$X'" |
    grep -q '^restore: '
ok $? "with the restore's cause" ||
    q "SELECT verify_result FROM artifacts WHERE path = 'main/$X'" >&2
is "$(audit_count artifact-verified)" 2 \
    "the good dump and the second cycle's new dump verified, nothing else"
