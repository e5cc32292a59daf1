#!/bin/sh
# t/85-ctl-surface.sh -- the control surface holds against a hostile or
# careless local user (issue 16, items 8-11):
#  - a planted 40 GiB sparse file named like an artifact does not delay
#    readiness: the supervisor does not read it before READY, the verify
#    worker does afterwards;
#  - a job name with a newline and an escape sequence is refused, and no
#    forged log line or raw escape reaches backup.log, cairnctl's output or
#    `cairnctl audit`;
#  - 40 clients waiting on `run all --wait` do not keep `status` out;
#  - with 10,000 jobs `cairnctl --json status` is one valid JSON document.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
plan 21

S=$T/run/cairnd.sock
ctl()
{
	"$CAIRNCTL" -s "$S" "$@"
}
answers()
{
	ctl status >/dev/null 2>&1
}
ESC=$(printf '\033')

mkdb "$T/a.db" 50
conf_head "$T/c.conf" "log_file = \"$T/bk/backup.log\"" \
    'defaults { schedule = "0 0 1 1 *"
	run_at_start = false }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }"

# --- item 11: a planted sparse file, readiness --------------------------------
mkdir -p "$T/bk/a"
P=a_backup_20260101_000000.db.gz
truncate -s 40G "$T/bk/a/$P" || bail "cannot make a sparse file"
t0=$(date +%s)
start_daemon "$T/c.conf"
wait_for 60 answers
ok $? "status answers after start-up with a 40 GiB planted file" || show_log
t1=$(date +%s)
diag "status answered $((t1 - t0)) s after the start"
[ $((t1 - t0)) -le 15 ]
ok $? "and within 15 s (the supervisor does not read the file)"
is "$(sqlite3 "$T/bk/catalog.db" "SELECT status || ',' || sha256 FROM
    artifacts WHERE path = 'a/$P'")" "unverified," \
    "the file is recorded unverified, its SHA-256 left to the verify worker"
audit_has artifact-found "\"artifact\":\"a/$P\",\"sha256\":null"
ok $? "artifact-found is audited without a checksum"
stop_daemon
rm -f "$T/bk/a/$P"

# --- item 8: injection through a job name ------------------------------------
start_daemon "$T/c.conf"
wait_for 30 answers || bail "cairnd did not answer"
name=$(printf 'shop\n2026-12-05T00:00:00Z cairnd[1]: FORGED\033[31m')
ctl run "$name" > "$T/inj.out" 2> "$T/inj.err"
is $? 64 "run with a control character in the name exits 64"
like "$(cat "$T/inj.err")" 'not a valid name' "and says the name is not valid"
is "$(grep -c "$ESC" "$T/inj.err" "$T/inj.out" "$T/bk/backup.log" |
    awk -F: '{ n += $2 } END { print n }')" 0 \
    "no raw escape in cairnctl's output or backup.log"
is "$(grep -c '^2026-12-05T00:00:00Z cairnd\[1\]: FORGED' \
    "$T/bk/backup.log" "$T/inj.err" | awk -F: '{ n += $2 } END { print n }')" \
    0 "no forged line in backup.log or on stderr"
audit_has ctl '"command":"run","args":"shop\\n2026-12-05T00:00:00Z cairnd\[1\]: FORGED\\u001b\[31m","code":64'
ok $? "the audit trail keeps the name, escaped"
ctl -d "$T/bk" audit > "$T/audit.out" 2>&1
is "$(grep -c "$ESC" "$T/audit.out")" 0 "cairnctl audit prints no raw escape"
is "$(grep -c '^2026-12-05T00:00:00Z cairnd' "$T/audit.out")" 0 \
    "and no forged line"
like "$(cat "$T/audit.out")" 'args="shop\\n2026-12-05T00:00:00Z cairnd\[1\]: FORGED\\x1b\[31m"' \
    "it shows the name with visible escapes"

# --- item 9: waiting clients do not starve status ----------------------------
if [ "$FAULTS" = yes ]; then
	stop_daemon
	CAIRN_FAULT="a=slow" start_daemon "$T/c.conf"
	wait_for 30 answers || bail "cairnd did not answer"
	i=0
	while [ $i -lt 40 ]; do
		"$CAIRNCTL" -s "$S" run all --wait > /dev/null 2>&1 &
		i=$((i + 1))
	done
	waiting()
	{
		[ "$(audit_count ctl '"args":"all --wait"')" -ge 40 ]
	}
	wait_for 30 waiting
	ok $? "40 clients wait for run all (each accepted and audited)"
	t0=$(date +%s)
	out=$(timeout 20 "$CAIRNCTL" -s "$S" status 2>&1)
	is $? 0 "status answers while they wait"
	t1=$(date +%s)
	diag "status answered in $((t1 - t0)) s with 40 clients waiting"
	like "$out" '^a +sqlite +running' "and shows a running"
	out=$(timeout 20 "$CAIRNCTL" -s "$S" health 2>&1)
	ok $? "health answers too (a is healthy: it has not failed)"
	stop_daemon
	# the waiting clients see the daemon go and exit
	wait
else
	skip 4 "needs --enable-fault-injection (a slow run)"
fi

# --- item 10: 10,000 jobs, one valid JSON reply ------------------------------
N=10000
{
	echo "backup_dir = \"$T/bk2\""
	echo "control_socket = \"$T/run/big.sock\""
	echo 'defaults { schedule = "0 0 1 1 *"'
	echo '	run_at_start = false }'
	echo 'verify { schedule = "0 0 1 1 *" }'
	echo 'retention { schedule = "0 0 1 1 *" }'
	i=1
	while [ $i -le $N ]; do
		echo "sqlite job_with_a_long_name_number_$i { path = \"$T/a.db\" }"
		i=$((i + 1))
	done
} > "$T/big.conf"
"$CAIRND" -f "$T/big.conf" > "$T/big.log" 2>&1 &
BPID=$!
at_exit "kill $BPID 2>/dev/null"
big()
{
	"$CAIRNCTL" -s "$T/run/big.sock" "$@"
}
t0=$(date +%s)
wait_for 120 big status
ok $? "cairnd answers with $N jobs" || sed 's/^/#   /' "$T/big.log" >&2
diag "it answered $(($(date +%s) - t0)) s after the start"
big --json status > "$T/big.json"
is $? 0 "--json status exits 0"
diag "the reply is $(wc -c < "$T/big.json") bytes"
python3 -m json.tool "$T/big.json" > /dev/null 2>&1
ok $? "and is valid JSON"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' \
    "$T/big.json" 2>/dev/null)" $N "with all $N jobs"
big --json health > "$T/bigh.json"
python3 -m json.tool "$T/bigh.json" > /dev/null 2>&1
ok $? "--json health is valid JSON too"
kill $BPID 2>/dev/null
wait $BPID 2>/dev/null
tap_done
