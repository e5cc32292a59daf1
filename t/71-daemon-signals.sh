#!/bin/sh
# t/71-daemon-signals.sh -- the running daemon against real signals: a
# worker killed with SIGKILL or stopped with SIGSTOP mid-run, SIGTERM to
# the daemon mid-run, SIGHUP with a broken and then a good config.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ "$FAULTS" = yes ] || skip_all "cairnd built without --enable-fault-injection"
plan 20

mkdb "$T/a.db" 500
mkdb "$T/b.db" 10
# a schedule that will not fire while the test runs: only run_at_start
conf_head "$T/c.conf" 'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }"
export CAIRN_RETRY_BASE_MS=100

has_partial()	# JOB: the worker is mid-run (its partial file exists)
{
	ls -a "$T/bk/$1" 2>/dev/null | grep -q '\.partial$'
}

# --- SIGKILL of a worker mid-run ----------------------------------------------
rm -rf "$T/bk"
CAIRN_FAULT="a=slow" start_daemon "$T/c.conf"
wait_for 30 has_partial a
ok $? "worker a is mid-run" || show_log
kill -KILL "$(job_pid a)"
wait_for 30 audit_has job-finished '"job":"a","gen":[0-9]*,"attempt":2'
ok $? "after kill -9 the run was retried and succeeded" || show_log
audit_has job-failed '"job":"a".*"attempt":1,.*"signal":9'
ok $? "the killed run is audited as failed by SIGKILL"
audit_has partial-removed '"job":"a"' && [ "$(partials)" = 0 ]
ok $? "its partial file was removed (and audited)"
is "$(artifacts a)" 1 "one artifact for a"
kill -TERM "$DPID"
wait "$DPID"
is $? 0 "SIGTERM to an idle daemon: exit 0"

# --- SIGSTOP of a worker: heartbeat timeout -----------------------------------
rm -rf "$T/bk"
CAIRN_FAULT="a=slow" start_daemon "$T/c.conf"
wait_for 30 has_partial a
ok $? "worker a is mid-run again"
wpid=$(job_pid a)
kill -STOP "$wpid"
wait_for 30 audit_has worker-heartbeat-timeout '"job":"a"'
ok $? "the stopped worker missed its heartbeats" || show_log
wait_for 30 audit_has job-finished '"job":"a","gen":[0-9]*,"attempt":2'
ok $? "it was replaced by a successful retry"
audit_has job-failed '"job":"a".*heartbeat timeout'
ok $? "the failure names the heartbeat timeout"
kill -0 "$wpid" 2>/dev/null
nok $? "the stopped worker is gone"
is "$(partials)" 0 "no partial file left"
kill -TERM "$DPID"
wait "$DPID"

# --- SIGTERM to the daemon mid-run -------------------------------------------
rm -rf "$T/bk"
CAIRN_FAULT="a=slow@0" start_daemon "$T/c.conf"
wait_for 30 has_partial a
ok $? "worker a is mid-run, then the daemon gets SIGTERM"
kill -TERM "$DPID"
wait "$DPID"
is $? 0 "cairnd exits 0 after SIGTERM" || show_log
is "$(partials)" 0 "no partial file left behind"
audit_has job-killed '"job":"a".*shutdown' &&
    audit_has partial-removed '"job":"a".*"reason":"shutdown"' &&
    audit_has stop '"reason":"signal"'
ok $? "the kill, the removal and the stop are audited"

# --- SIGHUP: a broken config is refused, a good one applied ------------------
rm -rf "$T/bk"
cp "$T/c.conf" "$T/live.conf"
start_daemon "$T/live.conf"
wait_for 30 audit_has job-finished '"job":"b"'
echo 'max_workers = "many"' >> "$T/live.conf"
kill -HUP "$DPID"
wait_for 30 audit_has reload-failed 'max_workers'
ok $? "a broken config on SIGHUP is refused and audited" || show_log
kill -0 "$DPID"
ok $? "and the daemon keeps running"
mkdb "$T/d.db" 7
cp "$T/c.conf" "$T/live.conf"
echo "sqlite d { path = \"$T/d.db\" }" >> "$T/live.conf"
kill -HUP "$DPID"
wait_for 30 audit_has reload '"jobs":3'
ok $? "a good config on SIGHUP is applied and audited"
wait_for 30 audit_has job-finished '"job":"d"'
check_artifact "$T"/bk/d/d_backup_*.db.gz 7
ok $? "the job it added ran and its artifact is good"
kill -TERM "$DPID"
wait "$DPID"

tap_done
