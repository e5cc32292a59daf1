# t/lib/daemon.sh -- helpers for the tests that run the real cairnd.
#
# Source after t/lib/tap.sh and call daemon_setup first:
#   daemon_setup            temp folder ($T), $CAIRND checked, builds with
#                           fault injection noted in $FAULTS (yes/no)
#   mkdb FILE N [MODE]      an SQLite file with table t of N rows (1..N),
#                           journal_mode MODE (default DELETE)
#   conf_head FILE [opts]   the top of a config: backup_dir $T/bk, small
#                           heartbeat and shutdown timeouts, then any
#                           extra lines given
#   wait_for SECS CMD...    run CMD until it succeeds or SECS pass
#   audit_count EVENT [RE]  lines of $T/bk/audit.log with that event
#                           (and matching the extended regex RE)
#   check_artifact FILE N   gunzip to a temp file: integrity_check ok and
#                           N rows in t
#   partials                how many .*.partial files are under $T/bk
#   start_daemon CONF       cairnd -f CONF in the background, pid in $DPID,
#                           log in $T/daemon.log; stopped at exit
#   job_pid JOB             the pid of JOB's newest worker (audit trail)

daemon_setup()
{
	tap_tmpdir
	T=$TAP_TMP
	[ -x "${CAIRND:-}" ] || bail "CAIRND is not set to the built cairnd"
	command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not installed"
	if grep -q '^#define CAIRN_FAULT_INJECTION 1' \
	    "$top_builddir/config.h" 2>/dev/null; then
		FAULTS=yes
	else
		FAULTS=no
	fi
	DPID=
}

mkdb()
{
	rm -f "$1"
	sqlite3 "$1" "PRAGMA journal_mode=${3:-DELETE};
	    CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
	    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
	        WHERE x < $2)
	    INSERT INTO t SELECT x, 'row ' || x FROM c;" >/dev/null
}

conf_head()
{
	_f=$1
	shift
	{
		echo "backup_dir = \"$T/bk\""
		echo "heartbeat_interval = 1"
		echo "heartbeat_timeout = 3"
		echo "shutdown_timeout = 2"
		for _l in "$@"; do
			echo "$_l"
		done
	} > "$_f"
}

wait_for()
{
	_secs=$1
	shift
	_end=$(($(date +%s) + _secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
	return 0
}

audit_count()
{
	if [ $# -ge 2 ]; then
		grep "\"event\":\"$1\"" "$T/bk/audit.log" 2>/dev/null |
		    grep -Ec -- "$2"
	else
		grep -c "\"event\":\"$1\"" "$T/bk/audit.log" 2>/dev/null
	fi
}

audit_has()
{
	[ "$(audit_count "$@")" -gt 0 ]
}

check_artifact()
{
	_out=$T/check.db
	rm -f "$_out"
	gunzip -c "$1" > "$_out" 2>/dev/null || return 1
	[ "$(sqlite3 "$_out" 'PRAGMA integrity_check')" = ok ] || return 1
	[ "$(sqlite3 "$_out" 'SELECT count(*) FROM t')" = "$2" ] || return 1
	[ "$(sqlite3 "$_out" "SELECT v FROM t WHERE id = $2")" = "row $2" ]
}

partials()
{
	find "$T/bk" -name '.*.partial' | wc -l | tr -d ' '
}

artifacts()
{
	ls "$T/bk/$1"/*_backup_*.db.gz 2>/dev/null | wc -l | tr -d ' '
}

stop_daemon()
{
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	DPID=
}

start_daemon()
{
	"$CAIRND" -f "$1" > "$T/daemon.log" 2>&1 &
	DPID=$!
	at_exit "stop_daemon"
}

job_pid()
{
	grep "\"event\":\"job-started\",\"job\":\"$1\"" "$T/bk/audit.log" |
	    tail -n 1 | sed 's/.*"pid":\([0-9]*\).*/\1/'
}

# the daemon's log so far, on stderr, when something failed
show_log()
{
	[ -f "$T/daemon.log" ] && sed 's/^/#   /' "$T/daemon.log" >&2
	return 0
}
