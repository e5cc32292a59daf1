#!/bin/sh
# t/76-root-race.sh -- the backup user races root at start-up and must never
# win.  cairnd is started as root (user = cairn) again and again while a
# process running as cairn swaps, with renameat2(RENAME_EXCHANGE), each file
# root touches in cairn's folders (audit.log, backup.log, the lock, the
# control socket) with a symlink to a root-only 0600 file.  Root may refuse
# to start (that is failing closed) but must never chown, chmod or write a
# file through such a symlink.  Bounded: RACE_TRIES starts (default 100) or
# RACE_SECS seconds (default 100), whichever ends first.  Skipped when not
# root.  docs/security.md lists the boundary this proves.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

[ "$(id -u)" -eq 0 ] || skip_all "not root"
daemon_setup
SWAP=$top_builddir/t/swap-helper
[ -x "$SWAP" ] || bail "t/swap-helper is not built"
if ! id cairn >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin cairn >/dev/null 2>&1 ||
	    skip_all "cannot create the user cairn"
	at_exit "userdel cairn"
fi
tries=${RACE_TRIES:-100}
secs=${RACE_SECS:-100}
plan 5
uid=$(id -u cairn)
gid=$(id -g cairn)

chmod 755 "$T"
mkdir "$T/src"
mkdb "$T/src/a.db" 10 DELETE
chmod 755 "$T/src"
chmod 644 "$T/src/a.db"
conf_head "$T/c.conf" 'user = "cairn"' \
    'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/src/a.db\" }"
for c in audit log lock sock; do
	echo "root only" > "$T/canary-$c"
	chmod 600 "$T/canary-$c"
done

canaries_intact()
{
	for c in audit log lock sock; do
		[ "$(stat -c '%u:%g %a %s' "$T/canary-$c")" = "0:0 600 10" ] ||
		    { diag "canary-$c: $(stat -c '%U:%G %a %s' "$T/canary-$c")"
		      return 1; }
	done
	return 0
}

gone()		# PID: exited (a zombie until waited for) or no such process
{
	case $(sed 's/.*) \([A-Z]\).*/\1/' "/proc/$1/stat" 2>/dev/null) in
	Z|X|'') return 0 ;;
	esac
	return 1
}

up_or_gone()
{
	grep -q started "$T/daemon.log" || gone "$1"
}

# one clean start makes the folders and files the user will play with
start_daemon "$T/c.conf"
wait_for 30 test -S "$T/run/cairnd.sock"
ok $? "a first start as root makes the socket and the trail" || show_log
kill -TERM "$DPID"
wait "$DPID"
DPID=
is "$(stat -c %U "$T/bk" "$T/run" | sort -u)" cairn \
    "the backup and socket folders belong to cairn (the racer can write)"

"$SWAP" "$uid" "$gid" "$secs" \
    "$T/bk/audit.log" "$T/canary-audit" \
    "$T/bk/backup.log" "$T/canary-log" \
    "$T/bk/.cairnd.lock" "$T/canary-lock" \
    "$T/run/cairnd.sock" "$T/canary-sock" > "$T/swaps" 2>&1 &
spid=$!
at_exit "kill $spid 2>/dev/null"

started=0
refused=0
won=0
n=0
end=$(($(date +%s) + secs - 5))
while [ "$n" -lt "$tries" ] && [ "$(date +%s)" -lt "$end" ]; do
	n=$((n + 1))
	"$CAIRND" -f "$T/c.conf" > "$T/daemon.log" 2>&1 &
	DPID=$!
	# up (serving) or gone (refused): either way, then stop it
	wait_for 10 up_or_gone "$DPID"
	if ! gone "$DPID"; then
		started=$((started + 1))
		kill -TERM "$DPID" 2>/dev/null
	else
		refused=$((refused + 1))
	fi
	wait "$DPID" 2>/dev/null
	DPID=
	if ! canaries_intact; then
		won=$n
		break
	fi
done
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
diag "$n starts ($started served, $refused refused), $(cat "$T/swaps" 2>/dev/null || echo ?) exchanges"
is "$won" 0 "the racing user never made root touch a root-only file"
canaries_intact
ok $? "every root-only file is still root:root 0600 and unchanged"
ok "$([ "$n" -ge 5 ] && echo 0 || echo 1)" "the race ran at least 5 starts ($n)"

tap_done
