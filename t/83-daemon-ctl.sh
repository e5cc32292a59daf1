#!/bin/sh
# t/83-daemon-ctl.sh -- cairnctl against the real cairnd: status (text and
# JSON) with each job's state and next run, the progress of a running
# worker, run JOB --wait and run all --wait, health after a good cycle and
# after a failed run, reload with a broken config, the refusal of a peer
# that is not allowed (as root), the audit line of every command and the
# metrics file.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
plan 49

S=$T/run/cairnd.sock
ctl()
{
	"$CAIRNCTL" -s "$S" "$@"
}
# every job has had its run and none is busy
settled()
{
	_o=$(ctl status) || return 1
	echo "$_o" | grep -q '^[a-z]  *sqlite  *idle  *[0-9]' || return 1
	! echo "$_o" | grep -Eq '^[a-z]+ +sqlite +(running|queued|backoff) |^[a-z]+ +sqlite +idle +- '
}

mkdb "$T/a.db" 100
mkdb "$T/b.db" 30
mkdb "$T/g.db" 5
# no cron fire during the test: only start-up and cairnctl start runs
conf_head "$T/c.conf" "metrics_file = \"$T/metrics/cairn.prom\"" \
    'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }"
mkdir "$T/metrics"
cp "$T/c.conf" "$T/good.conf"

# --- no daemon ---------------------------------------------------------------
ctl health >/dev/null 2>&1
is $? 1 "health exits 1 when no daemon answers"

start_daemon "$T/c.conf"
wait_for 30 settled
ctl health >/dev/null
ok $? "health exits 0 once the start-up runs succeeded" || show_log
[ -S "$S" ]
ok $? "the control socket exists at control_socket"

# --- status --------------------------------------------------------------
out=$(ctl status)
ok $? "status exits 0"
next=$(date -u +%Y)
next=$((next + 1))
like "$out" "^a +sqlite +idle .* 0 +$next-01-01T00:00:00Z " \
    "status shows a: idle, last code 0 and its next run"
like "$out" "^b +sqlite +idle .* $next-01-01T00:00:00Z " "and b"
if command -v python3 >/dev/null 2>&1 &&
    echo '{}' | python3 -m json.tool >/dev/null 2>&1; then
	ctl --json status > "$T/status.json"
	python3 -m json.tool "$T/status.json" >/dev/null
	ok $? "status --json is valid JSON"
	python3 - "$T/status.json" "$next" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = {j["name"]: j for j in d["jobs"]}
assert set(jobs) == {"a", "b"}, jobs.keys()
for j in jobs.values():
    assert j["state"] == "idle" and j["last_code"] == 0, j
    assert j["next_run"] == sys.argv[2] + "-01-01T00:00:00Z", j
    assert j["healthy"] and j["newest_good"] is not None, j
assert d["healthy"] and d["max_workers"] >= 1
EOF
	ok $? "each job in the JSON has its state, code, next run and newest artifact"
else
	skip 2 "no python3"
fi

# --- run -------------------------------------------------------------------
sleep 1		# a new artifact name: the names have a one-second resolution
out=$(ctl run a --wait)
ok $? "run a --wait exits 0 after the run"
like "$out" "^a: ok: a_backup_[0-9_]*\.db\.gz" "and names the new artifact"
is "$(artifacts a)" 2 "a has a second artifact"
check_artifact "$(ls "$T"/bk/a/*.db.gz | tail -n 1)" 100
ok $? "the new artifact holds a's 100 rows"
sleep 1
ctl run all --wait > "$T/all.out"
ok $? "run all --wait exits 0 when every job succeeded"
is "$(artifacts a) $(artifacts b)" "3 2" "both jobs ran once more"
is "$(grep -c ': ok: ' "$T/all.out")" 2 "one line per job in the answer"
out=$(ctl run nosuch 2>&1)
is $? 64 "run of an unknown job exits 64"
like "$out" "no job named nosuch" "and says so"
out=$(ctl run a 2>&1)
ok $? "run a without --wait answers at once"
like "$out" "^started a \(ticket [0-9]+\)" "with a ticket"
wait_for 30 sh -c "[ \$(ls '$T'/bk/a/*.db.gz | wc -l) -ge 4 ]"
ok $? "and the run happened"

# --- every command that changes something audited with the peer's uid, pid --
"$CAIRNCTL" -s "$S" status >/dev/null
"$CAIRNCTL" -s "$S" health >/dev/null
"$CAIRNCTL" -s "$S" run nosuch >/dev/null 2>&1 &
cpid=$!
wait $cpid
audit_has ctl "\"uid\":$(id -u),\"pid\":$cpid,\"command\":\"run\""
ok $? "a run is audited with the peer's uid and pid"
audit_has ctl '"command":"(status|health)"'
nok $? "read-only requests (status, health) are not audited"
audit_has ctl '"command":"run","args":"all --wait","code":0'
ok $? "run all --wait is audited"
audit_has job-scheduled '"job":"b","reason":"cairnctl"'
ok $? "a run cairnctl asked for is audited as scheduled by cairnctl"

# --- metrics ---------------------------------------------------------------
[ -f "$T/metrics/cairn.prom" ]
ok $? "the metrics file exists"
grep -q '^cairn_last_run_code{job="a",kind="sqlite"} 0$' "$T/metrics/cairn.prom" &&
    grep -q '^cairn_last_run_code{job="b",kind="sqlite"} 0$' \
    "$T/metrics/cairn.prom"
ok $? "it has a line per job for the last run's code"
like "$(grep '^cairn_last_success_timestamp_seconds{job="a"' \
    "$T/metrics/cairn.prom")" ' [1-9][0-9]+$' \
    "and the time of a's last success"

# --- prune --dry-run, verify ------------------------------------------------
out=$(ctl prune --dry-run)
ok $? "prune --dry-run answers"
like "$out" "^dry run: 0 to delete" "nothing is old enough to go"
out=$(ctl verify b --wait 2>&1)
is $? 0 "verify JOB --wait checks that job's artifacts (t/84 has more)"

# --- reload --------------------------------------------------------------
echo 'max_workers = "many"' >> "$T/c.conf"
out=$(ctl reload 2>&1)
is $? 78 "reload with a broken config exits 78"
like "$out" "reload failed, running configuration kept: .*max_workers" \
    "and names the problem"
kill -0 "$DPID" && ctl status >/dev/null
ok $? "the daemon keeps running and answering"
audit_has reload-failed
ok $? "the failed reload is audited"

# a job whose source goes away: its failed run makes the daemon unhealthy
cp "$T/good.conf" "$T/c.conf"
echo "sqlite g { path = \"$T/g.db\"
	retries = 0 }" >> "$T/c.conf"
out=$(ctl reload)
ok $? "reload with a good config exits 0"
wait_for 30 sh -c "ls '$T'/bk/g/*.db.gz"
ok $? "the job it added ran at once"
rm "$T/g.db"
ctl run g --wait >/dev/null 2>&1
is $? 94 "run g --wait exits 94 once its source is gone"
out=$(ctl health)
is $? 1 "health exits 1 after a job's last run failed"
like "$out" "^g: last run failed \(code 94" "and names the job and why"

# --- a peer that is not allowed (root only) -----------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T" "$T/run"
	asnobody()
	{
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		    "$CAIRNCTL" -s "$S" "$@"
	}
	asnobody status >/dev/null 2>&1
	isnt $? 0 "nobody cannot use the socket (mode 0660, root's group)"
	chmod 666 "$S"	# the file gate open: the daemon's own check remains
	out=$(asnobody status 2>&1)
	is $? 77 "with the file gate open, cairnd refuses nobody (77)"
	audit_has ctl_refused '"uid":65534'
	ok $? "the refusal is audited with the peer's uid"
else
	skip 3 "not root"
fi

# --- a running worker's progress ---------------------------------------------
kill -TERM "$DPID"
wait "$DPID"
is $? 0 "SIGTERM: cairnd exits 0"
[ ! -e "$S" ]
ok $? "and removes its socket"
DPID=

if [ "$FAULTS" = yes ]; then
	cp "$T/good.conf" "$T/c.conf"
	CAIRN_FAULT="a=slow@0" start_daemon "$T/c.conf"
	running_a()
	{
		ctl status | grep -q '^  pid [0-9]*, attempt 1, .* at slow'
	}
	wait_for 30 running_a
	ok $? "status shows the running worker's progress (pages, object)" ||
	    show_log
	out=$(ctl run a 2>&1)
	is $? 75 "run of a running job exits 75"
	like "$out" "a is already running \(worker [0-9]+" "and says so"
	"$CAIRNCTL" -s "$S" run all --wait > "$T/wait.out" 2>&1 &
	cpid=$!
	wait_for 10 audit_has ctl '"args":"all --wait"'
	kill -TERM "$DPID"
	wait "$DPID"
	wait $cpid
	isnt $? 0 "a client waiting when cairnd stops gets a failure"
	grep -q "^a: failed" "$T/wait.out"
	ok $? "naming the run that was stopped"
else
	skip 5 "cairnd built without --enable-fault-injection"
fi
DPID=
