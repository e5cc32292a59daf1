#!/bin/sh
# t/86-s3-retention.sh -- remote retention against s3rver (t/lib/s3.sh):
# a simulated month of off-site copies (objects uploaded and catalog rows
# dated 1 to 30 days back) goes through the same planner rules as local
# retention with the s3 section's `retention { days keep_min }`.
# cairnctl prune --dry-run lists the remote decisions and deletes nothing;
# prune deletes the expired copies through the upload worker (objects gone,
# catalog rows gone, remote-deleted audited); keep_min keeps copies that
# days alone would drop.  Objects under the prefix that the catalog does not
# know are reported (remote-unknown, once in a run) and never deleted.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"
. "$top_srcdir/t/lib/s3.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
s3_setup
plan 20
s3_start

H="$top_builddir/t/s3-helper"
S=$T/run/cairnd.sock
ctl() { "$CAIRNCTL" -s "$S" "$@"; }
q() { sqlite3 "$T/bk/catalog.db" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
mkdb "$T/a.db" 500
remote()	# DAYS KEEP_MIN
{
	# no cron fire during the test: only start-up and cairnctl work
	conf_head "$T/c.conf" 'defaults { schedule = "0 0 1 1 *" upload = "offsite" }' \
	    'verify { schedule = "0 0 1 1 *" }' \
	    'retention { schedule = "0 0 1 1 *" days = 60 }' \
	    "sqlite a { path = \"$T/a.db\" }" \
	    "$(s3_section "retention { days = $1 keep_min = $2 }" \
	    "bandwidth_limit = ${3:-0}")"
}
copies() { q "SELECT count(*) FROM remote_copies"; }
settled()
{
	ctl status | grep -q '^a  *sqlite  *idle  *[0-9]' &&
	    [ "$(copies)" -ge 1 ]
}

# 1 KiB/s: the start-up upload takes a few seconds, long enough to see
remote 7 4 1
start_daemon "$T/c.conf"
working() { ctl status > "$T/st.out" 2>&1; grep -q '^  upload: last good none yet, 0 failed attempts, 0 B since start; working: upload a_backup_.*\.db\.gz, 0 B of [0-9.]* [KMG]*i*B (0%)$' "$T/st.out"; }
wait_for 60 working
ok $? "cairnctl status shows the upload at work" || sed 's/^/# /' "$T/st.out"
wait_for 60 settled
ok $? "the start-up backup of a is verified and uploaded" || show_log
R=$(cd "$T/bk/a" && ls a_backup_*.db.gz)
ctl status > "$T/st.out" 2>&1
kib=$(awk -v n="$(stat -c %s "$T/bk/a/$R")" 'BEGIN { printf "%.1f KiB", n / 1024 }')
grep -q "^  upload: last good 20[0-9-]*T[0-9:]*Z, 0 failed attempts, $kib since start$" "$T/st.out"
ok $? "then its last good upload and the bytes" || diag "$(cat "$T/st.out")"

# a month of older copies: objects with their sha256 metadata, and rows
now=$(date +%s)
for d in $(seq 1 30); do
	t=$((now - d * 86400 + 3600))
	n=a_backup_$(date -u -d "@$t" +%Y%m%d_%H%M%S).db.gz
	echo "copy of day -$d" | gzip > "$T/$n"
	"$H" put "$S3URL" backups "cairn/host1/a/$n" "$T/$n" "$(sha "$T/$n")" \
	    > /dev/null 2>&1 || bail "cannot put $n"
	q "INSERT INTO remote_copies (remote, key, job, path, artifact_id,
	    size, sha256, etag, uploaded, verified_at) VALUES ('offsite',
	    'cairn/host1/a/$n', 'a', 'a/$n', NULL, $(stat -c %s "$T/$n"),
	    '$(sha "$T/$n")', 'x', $t, $t)"
	eval "N$d=\$n"
done
# objects the catalog does not know: one in the job's folder named like
# an old artifact, one stray file, and one of another job
for k in a/a_backup_20261001_000000.db.gz a/notes.txt other/x.db.gz; do
	"$H" put "$S3URL" backups "cairn/host1/$k" "$T/$N30" "$(sha "$T/$N30")" \
	    > /dev/null 2>&1 || bail "cannot put $k"
done
is "$(copies)" 31 "31 remote copies in the catalog"

# --- dry run ----------------------------------------------------------------
out=$(ctl prune --dry-run 2>&1)
is $? 0 "prune --dry-run exits 0"
n=$(printf '%s\n' "$out" | grep -c "^would delete cairn/host1/a/a_backup_.* on offsite (expired)$")
is "$n" 23 "it lists the 23 copies older than 7 days as remote deletions"
printf '%s\n' "$out" | grep -q "$N8 on offsite" &&
    ! printf '%s\n' "$out" | grep -q "$N7 on offsite"
ok $? "day -8 goes, day -7 stays" || diag "$out"
like "$out" "8 remote copies kept" "and counts the 8 kept"
[ "$(copies)" = 31 ] && [ -f "$(s3_object "cairn/host1/a/$N30")" ] &&
    [ "$(audit_count remote-deleted)" = 0 ]
ok $? "but deletes nothing"

# --- prune ------------------------------------------------------------------
ctl prune --wait > /dev/null 2>&1
wait_for 60 sh -c "[ \"\$(grep -c '\"event\":\"remote-deleted\"' '$T/bk/audit.log')\" = 23 ]"
ok $? "prune deletes the 23 expired copies (remote-deleted audited)" || show_log
left=0
for d in $(seq 8 30); do
	eval "n=\$N$d"
	[ -f "$(s3_object "cairn/host1/a/$n")" ] && left=$((left + 1))
done
is "$left" 0 "their objects are gone from the bucket"
is "$(copies)" 8 "and their rows from the catalog"
is "$(audit_count remote-deleted "\"artifact\":\"$N8\",\"remote\":\"offsite\",\"key\":\"cairn/host1/a/$N8\",\"reason\":\"expired\"")" 1 \
    "remote-deleted names the artifact, remote, key and reason"
[ -f "$(s3_object "cairn/host1/a/$N7")" ] && [ -f "$(s3_object "cairn/host1/a/$R")" ]
ok $? "the copies within 7 days and the newest are still there"
stop_daemon

# --- a cycle: the unknown objects are reported, never deleted ----------------
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "cairnd -o runs a cycle with the remote check" || show_log
is "$(audit_count remote-unknown)" 2 \
    "two objects under cairn/host1/a/ are unknown to the catalog"
[ "$(audit_count remote-unknown '"key":"cairn/host1/a/notes.txt"')" = 1 ] &&
    [ "$(audit_count remote-unknown '"key":"cairn/host1/a/a_backup_20261001_000000.db.gz"')" = 1 ]
ok $? "each one is reported once, by its key"
[ -f "$(s3_object cairn/host1/a/notes.txt)" ] &&
    [ -f "$(s3_object cairn/host1/a/a_backup_20261001_000000.db.gz)" ] &&
    [ -f "$(s3_object cairn/host1/other/x.db.gz)" ]
ok $? "and none is deleted"

# --- keep_min ---------------------------------------------------------------
# days = 1 alone would drop days -2 to -7; keep_min = 40 keeps them all
remote 1 40
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "a cycle with days = 1, keep_min = 40" || show_log
[ "$(audit_count remote-deleted)" = 23 ] && [ -f "$(s3_object "cairn/host1/a/$N7")" ]
ok $? "keep_min keeps the copies older than days" || show_log
