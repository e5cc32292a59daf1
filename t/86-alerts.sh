#!/bin/sh
# t/86-alerts.sh -- alerts from the real cairnd to a webhook receiver on
# 127.0.0.1 (t/alert-receiver.py) and to command notifiers: daemon start
# and stop; a job that fails (a missing SQLite file) and its recovery; a
# verification failed by a flipped byte and its recovery; a shrunken
# database (size_drop) and its recovery; staleness by fault-injected time
# and its recovery -- each exactly one well-formed delivery.  A receiver
# that is down, or slow, does not delay a backup, and the alert arrives
# once it is back.  A command notifier gets the JSON on its stdin, runs in
# the notifier's sandbox (it cannot write a file) and its failure is
# audited.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed"
[ "$FAULTS" = yes ] ||
    skip_all "built without --enable-fault-injection (the clock is moved)"
plan 53

S=$T/run/cairnd.sock
R=$T/recv.jsonl
ctl()
{
	"$CAIRNCTL" -s "$S" "$@"
}
RPID=
receiver()	# [PORT [DELAY]]
{
	rm -f "$T/port"
	python3 "$top_srcdir/t/alert-receiver.py" "$R" "$T/port" \
	    "${1:-0}" "${2:-0}" &
	RPID=$!
	wait_for 10 test -s "$T/port"
}
receiver_stop()
{
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	RPID=
}
at_exit receiver_stop
# deliveries of EVENT [for JOB] [about PROBLEM] at the receiver
got()
{
	python3 - "$R" "$@" <<'EOF'
import json, sys
ev, job = sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None
prob = sys.argv[4] if len(sys.argv) > 4 else None
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["event"] == ev and (job is None or d["job"] == job) and \
            (prob is None or d["problem"] == prob):
        n += 1
print(n)
EOF
}
got_one()
{
	[ "$(got "$@")" -ge 1 ]
}
got_two()
{
	[ "$(got "$@")" -ge 2 ]
}
both_stale()
{
	got_one stale a && got_one stale b
}
both_recovered()
{
	got_one recovered a stale && got_one recovered b stale
}

receiver || bail "the receiver did not start"
PORT=$(cat "$T/port")
printf 'Authorization: Bearer tok-%s\n# a comment\n' "$$" > "$T/headers"
: > "$T/clock"
mkdb "$T/a.db" 2000
conf_head "$T/c.conf" "metrics_file = \"$T/cairn.prom\"" \
    'defaults { schedule = "0 0 1 1 *"
	stale_after = 1d
	notify = { "hook" } }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *" }' \
    "notify hook { type = webhook
	url = \"http://127.0.0.1:$PORT/alert\"
	headers_file = \"$T/headers\"
	timeout = 6
	retries = 6 }" \
    'notify cmd { type = command
	command = { "/bin/sh", "-c", "tr , \"\\n\" | grep ^.event" }
	retries = 0 }' \
    "notify jail { type = command
	command = { \"/bin/sh\", \"-c\", \"cat >/dev/null; echo x > $T/jail\" }
	retries = 0 }" \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\"
	retries = 0
	notify = { \"hook\" } }"
CAIRN_FAULT_CLOCK_FILE=$T/clock
CAIRN_NOTIFY_BACKOFF_MS=300
export CAIRN_FAULT_CLOCK_FILE CAIRN_NOTIFY_BACKOFF_MS
start_daemon "$T/c.conf"

# --- start-up: daemon_started everywhere, b fails ---------------------------
wait_for 30 got_one job_failed b
ok $? "b (a missing SQLite file) fails: a job_failed alert arrives" || show_log
wait_for 30 got_one daemon_started
ok $? "daemon_started arrives at the webhook"
python3 - "$R" "$$" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    keys = ["_auth", "_type", "artifact", "counts", "event", "host", "id",
            "job", "message", "problem", "repeat", "severity", "time",
            "version"]
    assert sorted(d) == keys, sorted(d)
    assert d["_auth"] == "Bearer tok-" + sys.argv[2], d["_auth"]
    assert d["_type"] == "application/json"
    assert d["version"] == 1 and d["id"] >= 1 and d["host"]
    assert d["time"].endswith("Z") and len(d["time"]) == 20
    if d["event"] == "job_failed":
        assert d["job"] == "b" and d["severity"] == "critical", d
        assert "b.db" in d["message"] and d["counts"]["failures"] == 1, d
EOF
ok $? "each document is well-formed, with the token from headers_file"
wait_for 20 audit_has alert-delivered '"notifier":"cmd","alert":"daemon_started"'
ok $? "the command notifier delivered daemon_started" || show_log
like "$(grep '"notifier":"cmd","alert":"daemon_started"' "$T/bk/audit.log")" \
    '"result":"exit 0: [^,]*event[^,]*daemon_started' \
    "it read the JSON on its stdin (its output is in the audit trail)"
wait_for 20 audit_has alert-failed '"notifier":"jail"'
ok $? "a command that writes a file fails in the notifier's sandbox"
[ ! -e "$T/jail" ]
ok $? "and no file was written"
like "$(grep '"event":"alert-failed"' "$T/bk/audit.log" | grep jail |
    head -n 1)" '"error":"exit [0-9]+: .*(Permission denied|not permitted)' \
    "the failure and its cause are audited"
is "$(audit_count alert '"alert":"job_failed","job":"b"')" 1 \
    "the job_failed alert is audited once"
a_idle()
{
	ctl status | grep -q '^a  *sqlite  *idle'
}
wait_for 30 a_idle

# --- recovery of b ------------------------------------------------------------
mkdb "$T/b.db" 10
ctl run b --wait >/dev/null
ok $? "b runs again once its file is back"
wait_for 20 got_one recovered b job_failed
ok $? "a recovered alert (problem job_failed) follows"
is "$(got job_failed b)" 1 "b's failure was delivered exactly once"

# --- a flipped byte --------------------------------------------------------
A=$(cd "$T/bk/a" && ls a_backup_*.db.gz | tail -n 1)
printf 'X' | dd of="$T/bk/a/$A" bs=1 seek=40 conv=notrunc 2>/dev/null
ctl verify "a/$A" --wait >/dev/null 2>&1
is $? 93 "the damaged artifact fails verification"
wait_for 20 got_one verify_failed a
ok $? "a verify_failed alert arrives"
python3 - "$R" "$A" <<'EOF'
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
d = [x for x in d if x["event"] == "verify_failed"][0]
assert d["artifact"] == sys.argv[2] and d["job"] == "a", d
assert "check" in d["message"] and d["counts"]["verify_failures"] == 1, d
EOF
ok $? "naming the artifact and the failed check"
sleep 1
ctl run a --wait >/dev/null
wait_for 20 got_one recovered a verify_failed
ok $? "the next good verification is followed by a recovered alert"

# --- a shrunken database -----------------------------------------------------
mkdb "$T/a.db" 20
sleep 1
ctl run a --wait >/dev/null
wait_for 20 got_one size_drop a
ok $? "a backup below half of the previous verified one raises size_drop"
python3 - "$R" <<'EOF'
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
d = [x for x in d if x["event"] == "size_drop"][0]
c = d["counts"]
assert c["bytes"] > 0 and c["previous_bytes"] > 2 * c["bytes"], c
assert d["artifact"].startswith("a_backup_"), d
EOF
ok $? "with the artifact's bytes and the previous verified artifact's"
mkdb "$T/a.db" 2000
sleep 1
ctl run a --wait >/dev/null
wait_for 20 got_one recovered a size_drop
ok $? "a backup of normal size again is followed by a recovered alert"

# --- staleness by a moved clock ------------------------------------------------
echo $((3 * 86400)) > "$T/clock"
wait_for 20 both_stale
ok $? "three days later both jobs are stale (stale_after 1d)"
ctl health >/dev/null
is $? 1 "cairnctl health is unhealthy while a job is stale"
stale_metric()
{
	grep -q '^cairn_job_alerts{job="a",kind="sqlite"} 1$' "$T/cairn.prom"
}
wait_for 10 stale_metric
ok $? "the metrics file is rewritten when a job turns stale"
like "$(ctl status | head -n 3)" "^ALERT a: alert: stale" \
    "cairnctl status names the stale job first"
like "$(ctl --json status)" '"alerts":"stale"' "and says so in JSON"
echo 0 > "$T/clock"
wait_for 20 both_recovered
ok $? "with the clock back, both recover"
ctl health >/dev/null
is $? 0 "cairnctl health is healthy again"

# --- cairnctl notify test ------------------------------------------------------
out=$(ctl notify test hook 2>&1)
is $? 0 "notify test hook exits 0"
like "$out" "^hook: delivered: HTTP 200" "and reports the delivery"
got_one test
ok $? "the test document arrived"
out=$(ctl notify test jail 2>&1)
is $? 69 "notify test of a failing notifier exits 69"
like "$out" "jail: failed: exit" "with the cause"
ctl notify test nosuch >/dev/null 2>&1
is $? 64 "an unknown notifier is a usage error"
audit_has ctl '"command":"(status|health)"'
nok $? "status and health requests are not audited"
audit_has ctl '"command":"notify","args":"test hook --wait","code":0'
ok $? "notify test is audited"

# --- a receiver that is down ---------------------------------------------------
receiver_stop
rm -f "$T/b.db"
t0=$(date +%s)
ctl run b --wait >/dev/null 2>&1
sleep 1
ctl run a --wait >/dev/null
is $? 0 "with the receiver down a backup runs"
t1=$(date +%s)
[ $((t1 - t0)) -lt 15 ]
ok $? "and is not held up by the failing deliveries ($((t1 - t0))s)"
sleep 2
receiver "$PORT" || bail "the receiver did not restart on port $PORT"
wait_for 40 got_two job_failed b
ok $? "b's second failure arrives once the receiver is back" || show_log

# --- a slow receiver -------------------------------------------------------------
receiver_stop
receiver "$PORT" 3 || bail "the slow receiver did not start"
mkdb "$T/b.db" 10
ctl run b --wait >/dev/null
sleep 1
ctl run a --wait >/dev/null
is $? 0 "with a slow receiver a backup runs"
wait_for 30 got_two recovered b job_failed
ok $? "and the alert arrives, late"
first=$(grep -n '"event":"job-finished","job":"a"' "$T/bk/audit.log" |
    tail -n 1 | cut -d: -f1)
deliv=$(grep -n '"event":"alert-delivered"' "$T/bk/audit.log" |
    grep '"notifier":"hook","alert":"recovered"' | tail -n 1 | cut -d: -f1)
[ "${first:-0}" -gt 0 ] && [ "$first" -lt "${deliv:-0}" ]
ok $? "the backup finished before the slow delivery did"

# --- metrics ---------------------------------------------------------------------
q()
{
	sqlite3 "$T/bk/catalog.db" "$1"
}
is "$(q "SELECT count(*) FROM runs WHERE job = 'verify:a'" | grep -c '^[1-9]')" 1 \
    "verify runs are recorded as verify:JOB in the catalog"
is "$(q "SELECT artifact_id IS NOT NULL FROM runs WHERE job = 'a'
    ORDER BY id DESC LIMIT 1")" 1 "so a job's last run is its last backup run"
n=$(q "SELECT count(*) FROM artifacts WHERE job = 'a' AND status NOT IN
    ('missing', 'deleted')")
grep -q "^cairn_artifacts{job=\"a\",kind=\"sqlite\"} $n\$" "$T/cairn.prom"
ok $? "cairn_artifacts counts a's $n artifacts"
grep -q '^cairn_verify_failures_total{job="a",kind="sqlite"} 1$' \
    "$T/cairn.prom" &&
    grep -q '^cairn_newest_verified_age_seconds{job="a",kind="sqlite"} [0-9]' \
    "$T/cairn.prom" &&
    grep -q '^cairn_artifacts_bytes{job="a",kind="sqlite"} [1-9]' \
    "$T/cairn.prom"
ok $? "and verification failures, bytes and the newest verified age"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/cairn.prom" > "$T/promtool.out" 2>&1
	ok $? "promtool check metrics is clean" || diag "$(cat "$T/promtool.out")"
else
	skip 1 "promtool not installed (Debian package prometheus)"
fi

# --- exactly one each; stop ------------------------------------------------------
is "$(got verify_failed a) $(got size_drop a) $(got stale a) $(got stale b)" \
    "1 1 1 1" "verify_failed, size_drop and stale: exactly one delivery each"
is "$(got recovered a verify_failed) $(got recovered a size_drop) $(got recovered a stale)" \
    "1 1 1" "and exactly one recovery each"
kill -TERM "$DPID"
wait "$DPID"
DPID=
wait_for 5 got_one daemon_stopped
ok $? "daemon_stopped is delivered before cairnd exits"
audit_has alert-dropped
nok $? "no alert was dropped"

# --- cairnctl audit --job/--event --------------------------------------------------
"$CAIRNCTL" audit --file "$T/bk/audit.log" -n 0 --event alert --job b \
    > "$T/filtered" 2>&1
is $? 0 "audit --event alert --job b exits 0"
want=$(grep '"event":"alert",' "$T/bk/audit.log" | grep -c '"job":"b"')
[ "$(wc -l < "$T/filtered")" -eq "$want" ] && [ "$want" -ge 4 ] &&
    ! grep -qv ' alert .*job=b' "$T/filtered"
ok $? "it shows exactly b's $want alert lines"
"$CAIRNCTL" audit --file "$T/bk/audit.log" -n 2 --event alert-delivered \
    > "$T/filtered" 2>&1
[ "$(wc -l < "$T/filtered")" -eq 2 ] &&
    [ "$(tail -n 1 "$T/filtered" | cut -c1-6 | tr -d ' ')" = \
    "$(grep '"event":"alert-delivered"' "$T/bk/audit.log" | tail -n 1 |
    sed 's/{"seq":\([0-9]*\).*/\1/')" ]
ok $? "-n 2 --event gives the last two matching lines"
"$CAIRND" --verify-audit "$T/bk/audit.log" >/dev/null
ok $? "the audit trail's chain is intact"
