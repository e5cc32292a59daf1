#!/bin/sh
# t/s3-large.sh -- `make check-s3-large`, not part of make check: the
# upload worker's peak resident set for a large artifact (default 10 GiB,
# CAIRN_S3_LARGE_MB) through the real cairnd and s3rver (t/lib/s3.sh).
# The artifact is a sparse file planted in the job folder with a catalog
# row marked verified (its SHA-256 is not computed: the upload does not
# read it back); the supervisor queues it at start-up.  While it goes up,
# the VmHWM of every worker of cairnd is sampled each second from /proc;
# the largest must stay under 64 MiB.  Needs about twice the size in free
# disk space for s3rver's copy (parts, then the object).
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"
. "$top_srcdir/t/lib/s3.sh"

daemon_setup
s3_setup
plan 3
s3_start
MB=${CAIRN_S3_LARGE_MB:-10240}
mkdb "$T/a.db" 100
conf_head "$T/c.conf" 'defaults { schedule = "0 0 1 1 *" upload = "offsite" }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *" days = 3650 }' \
    "heartbeat_timeout = 60" \
    "sqlite a { path = \"$T/a.db\" }" \
    "s3 offsite {" \
    "	endpoint = \"$S3URL\"" \
    "	bucket = \"backups\"" \
    "	path_style = true" \
    "	access_key_file = \"$T/s3.access\"" \
    "	secret_key_file = \"$T/s3.secret\"" \
    "}"
sed -i '/^heartbeat_timeout = 3$/d' "$T/c.conf"
# a first start makes the folder and the catalog
start_daemon "$T/c.conf"
wait_for 60 sh -c "sqlite3 '$T/bk/catalog.db' 'SELECT count(*) FROM remote_copies' | grep -qx 1" ||
    bail "the start-up backup was not uploaded"
stop_daemon
N=a_backup_20261201_000000.db.gz
truncate -s "${MB}M" "$T/bk/a/$N"
sqlite3 "$T/bk/catalog.db" "INSERT INTO artifacts (job, kind, path, started,
    finished, raw_bytes, stored_bytes, sha256, status, verified_at, recorded)
    SELECT job, kind, 'a/$N', started - 86400, finished - 86400, raw_bytes,
    $((MB * 1024 * 1024)), '$(printf '%064d' 0)', 'ok', verified_at, recorded
    FROM artifacts LIMIT 1" || bail "cannot add the catalog row"

t0=$(date +%s)
start_daemon "$T/c.conf"
peak=0
while ! grep -q "\"event\":\"artifact-uploaded\".*\"artifact\":\"$N\"" "$T/bk/audit.log" 2>/dev/null; do
	kill -0 "$DPID" 2>/dev/null || break
	[ $(($(date +%s) - t0)) -gt 7200 ] && break
	for p in $(pgrep -P "$DPID"); do
		k=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null)
		[ -n "$k" ] && [ "$k" -gt "$peak" ] && peak=$k
	done
	sleep 1
done
t1=$(date +%s)
audit_has artifact-uploaded "\"artifact\":\"$N\""
ok $? "the ${MB} MiB artifact is uploaded" || show_log
diag "${MB} MiB in $((t1 - t0)) s; peak VmHWM of cairnd's workers: ${peak} KiB"
[ "$peak" -gt 0 ] && [ "$peak" -lt $((64 * 1024)) ]
ok $? "the workers' peak resident set (${peak} KiB) is under 64 MiB"
is "$(stat -c %s "$(s3_object "a/$N")")" $((MB * 1024 * 1024)) \
    "the server holds all of it"
rm -f "$(s3_object "a/$N")"
