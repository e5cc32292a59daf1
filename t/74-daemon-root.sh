#!/bin/sh
# t/74-daemon-root.sh -- started as root with user = cairn: start-up opens
# what it needs and drops to cairn; the supervisor and its workers run with
# cairn's uid, and a worker is sandboxed (NoNewPrivs 1, Seccomp 2 filter,
# no effective capabilities).  Creates the user when missing (and removes
# it again); skipped when not root.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

[ "$(id -u)" -eq 0 ] || skip_all "not root"
daemon_setup
[ "$FAULTS" = yes ] || skip_all "cairnd built without --enable-fault-injection"
if ! id cairn >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin cairn >/dev/null 2>&1 ||
	    skip_all "cannot create the user cairn"
	at_exit "userdel cairn"
fi
plan 23
uid=$(id -u cairn)

# cairn must reach the sources and the backup folder inside our temp dir
chmod 755 "$T"
mkdir "$T/src"
# rollback journal (the default of mkdb)
mkdb "$T/src/a.db" 50 DELETE
mkdb "$T/src/b.db" 20 DELETE
chmod 755 "$T/src"
chmod 644 "$T/src"/*.db
conf_head "$T/c.conf" 'user = "cairn"' \
    'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/src/a.db\" }" \
    "sqlite b { path = \"$T/src/b.db\" }"

field()		# PID FIELD: the value of a /proc/PID/status field
{
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' '
}

has_partial()
{
	ls -a "$T/bk/$1" 2>/dev/null | grep -q '\.partial$'
}

CAIRN_FAULT="a=slow@0" start_daemon "$T/c.conf"
wait_for 30 has_partial a
ok $? "the daemon started as root and worker a is mid-run" || show_log
is "$(field "$DPID" Uid)" "$uid $uid $uid $uid" \
    "the supervisor runs as cairn (real, effective, saved, fs uid)"
is "$(field "$DPID" CapEff)" 0000000000000000 \
    "the supervisor has no effective capabilities"
is "$(field "$DPID" CapBnd)" 0000000000000000 \
    "the supervisor's capability bounding set is empty"
is "$(field "$DPID" NoNewPrivs)" 1 "the supervisor has NoNewPrivs 1"
wpid=$(job_pid a)
is "$(field "$wpid" Uid)" "$uid $uid $uid $uid" "the worker runs as cairn"
is "$(field "$wpid" NoNewPrivs)" 1 "the worker has NoNewPrivs 1"
is "$(field "$wpid" Seccomp)" 2 "the worker runs under a seccomp filter"
is "$(field "$wpid" CapEff)" 0000000000000000 \
    "the worker has no effective capabilities"
is "$(stat -c %U "$T/bk/a")" cairn "job folders belong to cairn"
audit_has privilege-drop "\"user\":\"cairn\",\"uid\":$uid"
ok $? "the privilege drop is audited"
wait_for 30 audit_has job-finished '"job":"b"'
f=$(ls "$T"/bk/b/b_backup_*.db.gz)
is "$(stat -c %U "$f")" cairn "artifacts belong to cairn"
check_artifact "$f" 20
ok $? "and restore to the right data"
kill -TERM "$DPID"
wait "$DPID"
is $? 0 "SIGTERM: exit 0"
is "$(partials)" 0 "no partial file left"

# a second daemon on the same folder is refused
nb=$(audit_count job-finished '"job":"b"')
b_started() { [ "$(audit_count job-finished '"job":"b"')" -gt "$nb" ]; }
start_daemon "$T/c.conf"
wait_for 30 audit_has start
wait_for 30 test -S "$T/run/cairnd.sock"
# its start-up run of b first: a manual run meanwhile is refused as
# "already running"
wait_for 60 b_started

# sealed (no bounding set, no_new_privs), it still reloads and its workers
# still enter their sandbox
n0=$(audit_count job-finished '"job":"b"')
kill -HUP "$DPID"
wait_for 30 audit_has reload
ok $? "the sealed supervisor reloads its configuration" || show_log
"$CAIRNCTL" -s "$T/run/cairnd.sock" run b --wait > "$T/run-b.log" 2>&1
ok $? "and a run after the reload succeeds" || sed 's/^/#   /' "$T/run-b.log"
[ "$(audit_count job-finished '"job":"b"')" -gt "$n0" ]
ok $? "its worker finished (it entered its sandbox)"
"$CAIRND" -o -f "$T/c.conf" > "$T/second.log" 2>&1
nok $? "a second cairnd on the same backup folder is refused"
kill -TERM "$DPID"
wait "$DPID"

# reload as cairn with a root-owned 0600 password_file, the documented
# setup: the file opened at start-up is still good; a new one cairn cannot
# read is refused, visibly (audit and cairnctl's exit status)
printf 'pw\n' > "$T/root.pw"
printf 'pw\n' > "$T/root2.pw"
chmod 600 "$T/root.pw" "$T/root2.pw"
mysql_job() {
	printf 'mysql m { socket = "%s/nosuch.sock" user = "backup" password_file = "%s" databases = { "x" } }\n' "$T" "$1"
}
conf_head "$T/r.conf" 'user = "cairn"' \
    'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/src/a.db\" }" "$(mysql_job "$T/root.pw")"
chmod 644 "$T/r.conf"
start_daemon "$T/r.conf"
wait_for 30 audit_has privilege-drop
n0=$(audit_count reload)
echo "sqlite b { path = \"$T/src/b.db\" }" >> "$T/r.conf"
kill -HUP "$DPID"
wait_for 30 audit_has reload '"jobs":3'
ok $? "as cairn, a reload keeps the root-only password_file opened at start-up" ||
    show_log
sed -i "s|$T/root.pw|$T/root2.pw|" "$T/r.conf"
kill -HUP "$DPID"
wait_for 30 audit_has reload-failed 'root2.pw'
ok $? "a new password_file cairn cannot read fails the reload, named" ||
    show_log
is "$(audit_count reload)" "$((n0 + 1))" \
    "and the running configuration is kept"
kill -0 "$DPID"
ok $? "the daemon still runs"
kill -TERM "$DPID"
wait "$DPID"

tap_done
