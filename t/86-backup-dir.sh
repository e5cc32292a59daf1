#!/bin/sh
# t/86-backup-dir.sh -- cairn never takes over a folder that is not its own:
# backup_dir may not be a system folder, writable by others (or by a group
# that is not cairn's), hold files of someone else, nor a job folder be
# writable by anyone; cairnd -n and start-up both refuse, naming FILE:LINE,
# and a populated folder is never chowned.  Run as root with user = cairn
# (created when missing); skipped when not root.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

[ "$(id -u)" -eq 0 ] || skip_all "not root"
daemon_setup
if ! id cairn >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin cairn >/dev/null 2>&1 ||
	    skip_all "cannot create the user cairn"
	at_exit "userdel cairn"
fi
getent group nogroup >/dev/null || skip_all "no group nogroup"
plan 19
chmod 755 "$T"
mkdb "$T/a.db" 5 DELETE
chmod 644 "$T/a.db"

conf()		# DIR: a config with backup_dir DIR on line 1
{
	{
		echo "backup_dir = \"$1\""
		echo 'user = "cairn"'
		echo "control_socket = \"$T/run/cairnd.sock\""
		echo "sqlite a { path = \"$T/a.db\" }"
	} > "$T/c.conf"
}

refused()	# DIR RE: cairnd -n fails with FILE:1: backup_dir: ...RE
{
	conf "$1"
	"$CAIRND" -n -f "$T/c.conf" > "$T/n.out" 2>&1 && return 1
	grep -Eq "^$T/c.conf:1: backup_dir: .*$2" "$T/n.out" ||
	    { sed 's/^/#   /' "$T/n.out" >&2; return 1; }
}

for d in /etc /usr/ /var /home /bin /var/backups; do
	refused "$d" "system folder"
	ok $? "backup_dir = $d is refused as a system folder"
done

mkdir "$T/open"
chmod 777 "$T/open"
refused "$T/open" "writable by anyone"
ok $? "a 0777 backup_dir is refused"

mkdir "$T/grp"
chgrp nogroup "$T/grp"
chmod 770 "$T/grp"
refused "$T/grp" "writable by a group that is not cairn's"
ok $? "a backup_dir writable by another group is refused"

mkdir "$T/full"
echo precious > "$T/full/data"
chmod 600 "$T/full/data"
refused "$T/full" "belongs to uid 0 and is not empty"
ok $? "a populated folder of root's is refused by -n"
"$CAIRND" -o -f "$T/c.conf" > "$T/start.out" 2>&1
nok $? "and by start-up"
is "$(stat -c %U "$T/full" "$T/full/data" | sort -u)" root \
    "and neither it nor its file was chowned"

mkdir "$T/mine"
chown cairn:cairn "$T/mine"
touch "$T/mine/stranger"
refused "$T/mine" "holds stranger, which belongs to uid 0"
ok $? "a folder of cairn's holding a file of someone else is refused"
rm "$T/mine/stranger"
mkdir "$T/mine/a"
chown cairn:cairn "$T/mine/a"
chmod 777 "$T/mine/a"
refused "$T/mine" "/a is writable by anyone"
ok $? "a 0777 job folder is refused by -n"
# start-up checks the job folder itself, by descriptor
conf "$T/mine"
chmod 750 "$T/mine/a"
"$CAIRND" -n -f "$T/c.conf" > "$T/n.out" 2>&1
ok $? "cairn's own folder with a 0750 job folder passes -n" ||
    sed 's/^/#   /' "$T/n.out" >&2

# a symlink in a folder cairn can write is never followed by root
mkdir "$T/u"
chown cairn:cairn "$T/u"
ln -s /etc "$T/u/link"
conf "$T/u/link/cairn-t86"
"$CAIRND" -o -f "$T/c.conf" > "$T/start.out" 2>&1
nok $? "start-up refuses a backup_dir reached through cairn's symlink"
[ ! -e /etc/cairn-t86 ] && grep -q "link is a symlink" "$T/start.out"
ok $? "and made nothing in /etc" || sed 's/^/#   /' "$T/start.out" >&2
rm -rf /etc/cairn-t86

mkdir "$T/empty"
conf "$T/empty"
"$CAIRND" -n -f "$T/c.conf" > "$T/n.out" 2>&1
ok $? "an empty folder of root's passes -n (start-up may adopt it)"
"$CAIRND" -o -f "$T/c.conf" > "$T/start.out" 2>&1
ok $? "and a run there succeeds" || sed 's/^/#   /' "$T/start.out" >&2
is "$(stat -c %U "$T/empty")" cairn "the empty folder was given to cairn"

tap_done
