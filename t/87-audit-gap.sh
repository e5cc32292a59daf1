#!/bin/sh
# t/87-audit-gap.sh -- a hole in the audit trail fails closed and loudly.
# The trail lives on a small tmpfs: filled up, the lines cairnd cannot write
# make `cairnctl health` fail with the reason, and the loss is written into
# the trail once there is room again.  A trail cut short or deleted between
# two starts is found at the next start against the anchor the catalog
# keeps (last seq and hash), audited as audit-gap, and health says so.
# Needs root (mount); skipped otherwise.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

[ "$(id -u)" -eq 0 ] || skip_all "not root (mounts a tmpfs)"
daemon_setup
mkdir "$T/small"
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$T/small" 2>/dev/null ||
    skip_all "cannot mount a tmpfs"
at_exit "umount '$T/small'"
plan 17
A=$T/small/audit.log
S=$T/run/cairnd.sock
mkdb "$T/a.db" 20 DELETE
conf_head "$T/c.conf" "audit_log = \"$A\"" \
    'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }"

ctl()
{
	"$CAIRNCTL" -s "$S" "$@"
}

events()	# EVENT: how many lines of the trail have it
{
	grep -c "\"event\":\"$1\"" "$A" 2>/dev/null
}

more()		# EVENT N: more than N lines with EVENT
{
	[ "$(events "$1")" -gt "$2" ]
}

up()		# start cairnd, wait until it serves and job a has run once
{
	_n=$(events job-finished)
	start_daemon "$T/c.conf"
	wait_for 30 test -S "$S" && wait_for 30 more job-finished "${_n:-0}"
}

down()
{
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
}

up
ok $? "cairnd runs with its trail on a 256 KiB tmpfs" || show_log
ctl health > "$T/h.out" 2>&1
ok $? "health is fine" || sed 's/^/#   /' "$T/h.out" >&2

# the disk fills up: the trail cannot be written
dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null
ctl run a --wait > "$T/run.out" 2>&1
ok $? "a run on a full trail disk still makes its backup"
# the trail's last page may still hold a few lines: each reload is audited
# (status and health are read-only requests, not audited)
i=0
while [ "$i" -lt 40 ] && ctl health > "$T/h.out" 2>&1; do
	ctl reload > /dev/null 2>&1
	i=$((i + 1))
done
ctl health > "$T/h.out" 2>&1
nok $? "health fails while the trail cannot be written"
grep -q "audit trail .* could not be written" "$T/h.out"
ok $? "and says why" || sed 's/^/#   /' "$T/h.out"
grep -q "could not be written (No space left on device)" "$T/daemon.log"
ok $? "the daemon's log says so too"

rm "$T/small/fill"
ctl reload > /dev/null 2>&1	# audited (status is not): the next line
wait_for 10 more audit-lines-lost 0
ok $? "once there is room, the loss is written into the trail"
"$CAIRND" --verify-audit "$A" > /dev/null 2>&1
ok $? "and the chain is intact"
ctl health > /dev/null 2>&1
nok $? "health keeps failing until cairnd is restarted"
down

up
ok $? "restarted" || show_log
ctl health > "$T/h.out" 2>&1
ok $? "an intact trail: health is fine" || sed 's/^/#   /' "$T/h.out" >&2
is "$(events audit-gap)" 0 "no gap is reported for it"
down

# three lines cut off the end between two starts
head -n -3 "$A" > "$T/cut" && cat "$T/cut" > "$A"
up
ok $? "restarted on a trail cut short" || show_log
is "$(events audit-gap)" 1 "the gap is found against the catalog and audited"
ctl health > "$T/h.out" 2>&1
nok $? "health fails"
grep -q "audit trail .*ends at seq" "$T/h.out"
ok $? "naming the gap" || sed 's/^/#   /' "$T/h.out" >&2
down

# the trail deleted: a new chain starts, but not silently
rm "$A"
up
is "$(events audit-gap)" 1 "a deleted trail is found and audited in the new one"

tap_done
