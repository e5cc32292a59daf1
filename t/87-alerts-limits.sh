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
plan 11

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

# --- the audit log rotated under the running daemon --------------------------
L=$T/bk/audit.log
continued()
{
	head -n 1 "$L" | grep -q "\"event\":\"audit-continued\",\"reason\":\"$1\""
}
mv "$L" "$L.1"
kill -HUP "$DPID"
wait_for 10 continued reopened
ok $? "SIGHUP after a rename: the new file starts with audit-continued" ||
    show_log
"$CAIRND" --verify-audit "$L.1" > "$T/v1" 2>&1 &&
    "$CAIRND" --verify-audit "$L" > "$T/v2" 2>&1
ok $? "both files verify" || diag "$(cat "$T/v1" "$T/v2")"
h1=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read().split(b"\n")[-2]).hexdigest())' "$L.1")
is "$(head -n 1 "$L" | sed 's/.*"prev":"\([0-9a-f]*\)".*/\1/')" "$h1" \
    "its prev is the hash of the old file's last line: the chain goes on"
wait_for 10 sh -c "[ \$(wc -l < '$L') -ge 2 ]"
cp "$L" "$L.2"
: > "$L"
wait_for 10 continued truncated
ok $? "copytruncate: the next write starts the emptied file with audit-continued"
"$CAIRND" --verify-audit "$L" > "$T/v3" 2>&1
ok $? "and it verifies" || diag "$(cat "$T/v3")"

kill -TERM "$DPID"
wait "$DPID"
DPID=
audit_has alert-suppressed '"alert":"daemon_stopped"'
ok $? "the rate limit holds for daemon_stopped too"
