#!/bin/sh
# t/75-daemon-mysql.sh -- cairnd -o backs up a real MariaDB server through
# a sandboxed worker: the password travels from the password file to the
# worker over its channel (never argv, environment or logs), the dump
# restores with the stock client, a wrong password fails the job.
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
pw='pw-Zq7!x'
mariadb_create_user backup "$pw" "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS"
printf '%s\n' "$pw" > "$T/pw"
chmod 600 "$T/pw"
printf 'wrong\n' > "$T/badpw"
chmod 600 "$T/badpw"

conf_head "$T/c.conf" "mysql main {
	socket = \"$MARIADB_SOCK\"
	user = \"backup\"
	password_file = \"$T/pw\"
	databases = { \"shop\" }
}"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "cairnd -o backs up the MariaDB job" || show_log
f=$(ls "$T"/bk/main/main_backup_*.sql.gz 2>/dev/null)
ok $([ -n "$f" ]; echo $?) "the dump is in the job folder"
audit_has artifact-written '"job":"main"'
ok $? "artifact-written audited"

mdb -e "DROP DATABASE shop"
gunzip -c "$f" | mdb
ok $? "gunzip -c DUMP | mariadb restores it"
is "$(mdb -N -e 'SELECT GROUP_CONCAT(name ORDER BY id) FROM shop.items')" \
    "fir,oak,yew" "with the same rows"

n=$(grep -c -F -- "$pw" "$T/bk/audit.log" "$T/bk/backup.log" "$T/daemon.log" |
    awk -F: '{ s += $NF } END { print s + 0 }')
is "$n" 0 "the password appears in no log and not in the audit trail"

rm -rf "$T/bk"
conf_head "$T/bad.conf" "mysql main {
	socket = \"$MARIADB_SOCK\"
	user = \"backup\"
	password_file = \"$T/badpw\"
	connect_retry = 0
	retries = 0
}"
CAIRN_RETRY_BASE_MS=50 "$CAIRND" -o -f "$T/bad.conf" > "$T/daemon.log" 2>&1
is $? 1 "a wrong password fails the cycle"
audit_has job-failed '"job":"main".*"code":90'
ok $? "as cannot connect (90), audited" || show_log

tap_done
