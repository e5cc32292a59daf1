#!/bin/sh
# t/72-daemon-scale.sh -- 100 SQLite jobs with max_workers = 2: one cycle
# backs up every job, never with more than 2 workers at once (counted from
# the audit trail and by sampling the process tree), and the supervisor's
# peak resident memory (VmHWM) stays under 8 MiB.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
plan 6
N=100

mkdir -p "$T/src"
{
	echo "backup_dir = \"$T/bk\""
	echo "max_workers = 2"
	i=1
	while [ $i -le $N ]; do
		echo "sqlite j$i { path = \"$T/src/j$i.db\" }"
		i=$((i + 1))
	done
} > "$T/c.conf"
i=1
sql="CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
while [ $i -le $N ]; do
	sqlite3 "$T/src/j$i.db" "$sql INSERT INTO t VALUES (1, 'row 1');"
	i=$((i + 1))
done

"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1 &
pid=$!
hwm=0
most=0
# sample until it exits: VmHWM only grows, so the last sample is the peak
while kill -0 $pid 2>/dev/null; do
	h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' \
	    "/proc/$pid/status" 2>/dev/null)
	[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
	n=$(pgrep -P $pid 2>/dev/null | wc -l)
	[ "$n" -gt "$most" ] && most=$n
	sleep 0.02
done
wait $pid
ok $? "cairnd -o backs up $N jobs and exits 0" || show_log

n=$(find "$T/bk" -name 'j*_backup_*.db.gz' | wc -l | tr -d ' ')
is "$n" $N "one artifact per job"
is "$(audit_count job-finished)" $((2 * N)) \
    "$((2 * N)) job-finished events: a backup and its verification per job"

# replay the audit trail: +1 per start, -1 per end
max=$(grep -E '"event":"job-(started|finished|failed)"' "$T/bk/audit.log" |
    awk '/job-started/ { n++; if (n > m) m = n; next } { n-- }
	END { print m + 0 }')
ok $([ "$max" -le 2 ] && [ "$max" -ge 1 ]; echo $?) \
    "at most 2 workers at once in the audit trail (saw $max)"
ok $([ "$most" -le 2 ] && [ "$most" -ge 1 ]; echo $?) \
    "at most 2 worker processes at once when sampled, and some seen (saw $most)"
diag "supervisor peak RSS (VmHWM): $hwm kB"
ok $([ "$hwm" -gt 0 ] && [ "$hwm" -lt 8192 ]; echo $?) \
    "the supervisor's VmHWM stays under 8 MiB ($hwm kB)"

tap_done
