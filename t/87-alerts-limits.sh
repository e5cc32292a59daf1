#!/bin/sh
# t/87-alerts-limits.sh -- repeat_interval and alert_rate_limit with the
# real cairnd: a job that keeps failing is reminded of every
# repeat_interval (repeat 1, 2, ...) and, past alert_rate_limit alerts in
# the hour, alerts are suppressed and audited, not sent; dropped counts
# them in the documents that still go out.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed"
plan 6

R=$T/recv.jsonl
python3 "$top_srcdir/t/alert-receiver.py" "$R" "$T/port" &
RPID=$!
at_exit "kill $RPID"
wait_for 10 test -s "$T/port" || bail "the receiver did not start"
PORT=$(cat "$T/port")
count()
{
	[ -f "$R" ] || { echo 0; return; }
	grep -c "\"event\": \"$1\"" "$R"
}
three()
{
	[ "$(count job_failed)" -ge 3 ]
}

conf_head "$T/c.conf" 'alert_rate_limit = 4' \
    "notify hook { type = webhook
	url = \"http://127.0.0.1:$PORT/\" }" \
    "sqlite b { path = \"$T/missing.db\"
	schedule = \"0 0 1 1 *\"
	retries = 0
	repeat_interval = 2s
	notify = { \"hook\" } }"
start_daemon "$T/c.conf"
wait_for 30 three
ok $? "a failing job's alert is repeated every repeat_interval" || show_log
python3 - "$R" <<'EOF2'
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
f = [x for x in d if x["event"] == "job_failed"]
assert [x["repeat"] for x in f] == list(range(len(f))), f
assert len({x["id"] for x in f}) == len(f)
EOF2
ok $? "each reminder counts up repeat and has an id of its own"
suppressed()
{
	audit_has alert-suppressed
}
wait_for 20 suppressed
ok $? "past alert_rate_limit alerts are suppressed and audited"
sleep 3
is "$(wc -l < "$R" | tr -d ' ')" 4 \
    "exactly alert_rate_limit (4) documents arrived in the hour"
like "$(grep alert-suppressed "$T/bk/audit.log" | tail -n 1)" \
    '"reason":"rate limit","dropped":[2-9]' "the audit line counts them"
kill -TERM "$DPID"
wait "$DPID"
DPID=
audit_has alert-suppressed '"alert":"daemon_stopped"'
ok $? "the rate limit holds for daemon_stopped too"
