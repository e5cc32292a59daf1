#!/bin/sh
# t/89-disk-space-mysql.sh -- a dump that will not fit fails before it
# starts: the job's last artifact stands for the next.  The backup folder
# is a 32 MiB tmpfs holding a 20 MiB last dump of the job; the run is
# refused with the free and needed space and leaves nothing behind; with
# that artifact gone the same job backs up.  Needs root (mount) and
# MariaDB; skipped otherwise.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/daemon.sh"

[ "$(id -u)" -eq 0 ] || skip_all "not root (mounts a tmpfs)"
mariadb_available || skip_all "MariaDB server not installed"
daemon_setup
mkdir "$T/bk"
mount -t tmpfs -o size=32m,mode=0750 tmpfs "$T/bk" 2>/dev/null ||
    skip_all "cannot mount a tmpfs"
at_exit "umount '$T/bk'"
plan 5

mariadb_start || bail "cannot start a MariaDB server"
mdb -e "CREATE DATABASE shop;
    CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40));
    INSERT INTO shop.items VALUES (1, 'fir'), (2, 'oak');" ||
    bail "cannot fill the database"
pw='pw-space-1'
mariadb_create_user backup "$pw" "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS"
printf '%s\n' "$pw" > "$T/pw"
chmod 600 "$T/pw"
conf_head "$T/c.conf" "mysql main {
	socket = \"$MARIADB_SOCK\"
	user = \"backup\"
	password_file = \"$T/pw\"
	databases = { \"shop\" }
	retries = 0
}"

mkdir "$T/bk/main"
# the last dump of the job: 20 MiB (random, so the disk really holds it)
head -c 20971520 /dev/urandom > "$T/bk/main/main_backup_20260101_000000.sql.gz"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
nok $? "the dump is refused when the last one would not fit again"
grep -q "not enough free space in $T/bk/main: .* MiB free, about .* MiB needed (the last artifact, main_backup_20260101_000000.sql.gz, is 20.0 MiB)" \
    "$T/daemon.log"
ok $? "before it starts, naming the free and the needed space" || show_log
diag "$(grep 'not enough free space' "$T/daemon.log" | head -n 1)"
is "$(ls -a "$T/bk/main" | grep -c 'partial')" 0 "no partial file is left"

rm "$T/bk/main/main_backup_20260101_000000.sql.gz"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "with room again the same job backs up" || show_log
f=$(ls "$T"/bk/main/main_backup_*.sql.gz 2>/dev/null)
gunzip -c "$f" | grep -q "'fir'"
ok $? "and the dump holds the rows"

tap_done
