#!/bin/sh
# t/70-daemon.sh -- cairnd -o runs a cycle of real SQLite jobs through
# re-executed workers; every kind of misbehaving worker is detected,
# audited, retried with backoff, and leaves no partial file behind.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
plan 31

mkdb "$T/a.db" 100
mkdb "$T/b.db" 2000
mkdb "$T/c.db" 1
conf_head "$T/c.conf" 'max_workers = 2' \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }" \
    "sqlite c { path = \"$T/c.db\" }"

# --- a clean cycle ----------------------------------------------------------
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "cairnd -o exits 0 when every job succeeded" || show_log
for j in a b c; do
	is "$(artifacts $j)" 1 "job $j left one artifact"
done
check_artifact "$T"/bk/a/a_backup_*.db.gz 100
ok $? "a's artifact gunzips to an intact database with its 100 rows"
check_artifact "$T"/bk/b/b_backup_*.db.gz 2000
ok $? "b's artifact holds 2000 rows"
is "$(audit_count artifact-written)" 3 "three artifact-written events"
is "$(audit_count job-finished '"code":0')" 3 "three job-finished events"
is "$(sqlite3 "$T/bk/catalog.db" 'SELECT count(*) FROM artifacts')" 3 \
    "the catalog has a row per artifact"
"$CAIRND" --verify-audit "$T/bk/audit.log" >/dev/null
ok $? "the audit trail verifies"

# --- a job that keeps failing -----------------------------------------------
conf_head "$T/bad.conf" "sqlite gone { path = \"$T/nonexistent.db\"
	retries = 1 }"
CAIRN_RETRY_BASE_MS=50 "$CAIRND" -o -f "$T/bad.conf" > "$T/daemon.log" 2>&1
is $? 1 "cairnd -o exits 1 when a job failed after its retries"
is "$(audit_count job-failed '"job":"gone"')" 2 \
    "a failing job ran 1 + retries times, each failure audited"

# --- misbehaving workers -------------------------------------------------
# each fault hits the first attempt(s) only; the retry must then succeed
fault_case()	# JOB FAULT[@N] what
{
	_job=$1 _fault=$2 _what=$3
	rm -rf "$T/bk"
	CAIRN_FAULT="$_job=$_fault" CAIRN_RETRY_BASE_MS=100 \
	    "$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
	_rc=$?
	[ $_rc -eq 0 ] || show_log
	ok $_rc "$_what: detected, retried, cycle still succeeds"
	_ok=0
	audit_has job-failed "\"job\":\"$_job\".*\"attempt\":1," || _ok=1
	audit_has job-retried "\"job\":\"$_job\",\"attempt\":2," || _ok=1
	audit_has job-finished "\"job\":\"$_job\"" || _ok=1
	[ "$(partials)" = 0 ] || _ok=1
	[ "$(artifacts "$_job")" = 1 ] || _ok=1
	ok $_ok "$_what: failure and retry audited, no partial, one artifact"
}

if [ "$FAULTS" = yes ]; then
	fault_case b crash "a crashing worker (abort)"
	audit_has job-failed '"job":"b".*"signal":6'
	ok $? "the crash is recorded as SIGABRT"
	audit_has partial-removed '"job":"b"'
	ok $? "its partial file was removed and audited"

	fault_case a garbage "a worker sending garbage"
	audit_has protocol-violation '"job":"a"'
	ok $? "garbage is a protocol violation"

	fault_case a oversize "a worker announcing an oversized frame"
	audit_has protocol-violation '"job":"a".*bad frame header'
	ok $? "the oversized frame is refused from its header"

	fault_case c execve "a worker calling execve"
	audit_has job-failed '"job":"c".*"signal":31'
	ok $? "execve inside the sandbox kills the worker (SIGSYS)"

	fault_case c hang "a hung worker"
	audit_has worker-heartbeat-timeout '"job":"c"' &&
	    audit_has job-killed '"job":"c".*"signal":"KILL"'
	ok $? "the silent worker timed out and was killed"

	# fails twice: two retries, the second one waiting twice as long
	fault_case a crash@2 "a worker crashing twice"
	d1=$(grep '"event":"job-retried","job":"a","attempt":2,' \
	    "$T/bk/audit.log" | sed 's/.*"delay_ms":\([0-9]*\).*/\1/')
	d2=$(grep '"event":"job-retried","job":"a","attempt":3,' \
	    "$T/bk/audit.log" | sed 's/.*"delay_ms":\([0-9]*\).*/\1/')
	is "$d1/$d2" "100/200" "retries back off exponentially (100 ms, 200 ms)"
else
	skip 19 "cairnd built without --enable-fault-injection"
fi

tap_done
