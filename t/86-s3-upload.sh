#!/bin/sh
# t/86-s3-upload.sh -- off-site copies through the real daemon: cairnd -o
# backs up an SQLite job, verifies the artifact, and the sandboxed upload
# worker copies it to s3rver (t/lib/s3.sh); the catalog records the remote
# copy and the audit trail artifact-uploaded.  Remote copies deleted or
# altered behind cairn's back are found by the HEAD check of the next
# verify cycle and uploaded again.  A wrong key and a missing bucket fail
# with one clear line, audited as upload-failed, and make cairnd -o exit
# non-zero; the keys appear nowhere in logs or audit.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"
. "$top_srcdir/t/lib/s3.sh"

daemon_setup
s3_setup
plan 30
s3_start

# a webhook receiver for the upload_failed alert (t/alert-receiver.py)
R=$T/alerts.jsonl
python3 "$top_srcdir/t/alert-receiver.py" "$R" "$T/port" 0 0 &
RPID=$!
at_exit "kill $RPID 2>/dev/null"
wait_for 10 test -s "$T/port" || bail "the alert receiver did not start"

mkdb "$T/a.db" 2000
remote()	# BUCKET ACCESS-FILE
{
	conf_head "$T/c.conf" "metrics_file = \"$T/cairn.prom\"" \
	    "defaults { upload = \"offsite\" retries = 1 notify = { \"ops\" } }" \
	    "notify ops { type = webhook url = \"http://127.0.0.1:$(cat "$T/port")/\" }" \
	    "sqlite a { path = \"$T/a.db\" }" \
	    "s3 offsite {" \
	    "	endpoint = \"$S3URL\"" \
	    "	bucket = \"$1\"" \
	    "	prefix = \"cairn/host1/\"" \
	    "	path_style = true" \
	    "	access_key_file = \"$2\"" \
	    "	secret_key_file = \"$T/s3.secret\"" \
	    "	part_size = 5" \
	    "}"
}
q() { sqlite3 "$T/bk/catalog.db" "$1"; }

remote backups "$T/s3.access"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "cairnd -o backs up, verifies and uploads" || show_log
grep -Eq '^cairn_upload_last_success_timestamp_seconds\{job="a",kind="sqlite"\} [1-9][0-9]+$' "$T/cairn.prom" &&
    grep -q '^cairn_upload_failures_total{job="a",kind="sqlite"} 0$' "$T/cairn.prom"
ok $? "the metrics show the job's last good upload and no failure" ||
    grep upload "$T/cairn.prom" | sed 's/^/#   /'
X=$(cd "$T/bk/a" && ls a_backup_*.db.gz)
obj=$(s3_object "cairn/host1/a/$X")
cmp -s "$T/bk/a/$X" "$obj"
ok $? "the remote object is the artifact, byte for byte"
is "$(audit_count artifact-uploaded "\"artifact\":\"$X\",\"remote\":\"offsite\",\"key\":\"cairn/host1/a/$X\"")" 1 \
    "artifact-uploaded names the artifact, the remote and the key"
is "$(q "SELECT remote || ' ' || key || ' ' || size || ' ' || sha256 FROM remote_copies")" \
    "offsite cairn/host1/a/$X $(stat -c %s "$T/bk/a/$X") $(sha256sum "$T/bk/a/$X" | cut -d' ' -f1)" \
    "the catalog records the remote copy: key, size, sha256"
etag=$(q "SELECT etag FROM remote_copies")
is "$etag" "$(md5sum "$T/bk/a/$X" | cut -d' ' -f1)" \
    "and its ETag (the MD5 of a single-PUT object)"
[ "$(q "SELECT verified_at > 0 AND uploaded > 0 FROM remote_copies")" = 1 ]
ok $? "with its upload time, verified by HEAD"
grep -q "upload.*worker\|started worker" "$T/daemon.log" &&
    ! grep -q S3RVER "$T/daemon.log" "$T/bk/audit.log" "$T/bk/backup.log"
ok $? "the keys are in no log and no audit line"

"$CAIRNCTL" -d "$T/bk" list --remote > "$T/list.out" 2>&1
grep -q "^offsite  *cairn/host1/a/$X  *[0-9.]* [KMG]*i*B  *[0-9TZ:-]*  *$etag\$" "$T/list.out"
ok $? "cairnctl list --remote shows the remote, key, size, time and ETag" ||
    sed 's/^/# /' "$T/list.out"
"$CAIRNCTL" -d "$T/bk" --json list --remote a > "$T/list.json" 2>&1
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); r = d["remote_copies"][0]; sys.exit(not (r["key"] == "cairn/host1/a/" + sys.argv[2] and r["etag"] == sys.argv[3]))' \
    "$T/list.json" "$X" "$etag"
ok $? "and its --json form parses with the same key and ETag" ||
    sed 's/^/# /' "$T/list.json"

# a second cycle: the old artifact is already there, only the new one goes
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "a second cycle exits 0" || show_log
is "$(q "SELECT count(*) FROM remote_copies")" 2 "two remote copies"
is "$(audit_count artifact-uploaded "\"artifact\":\"$X\"")" 1 \
    "the first artifact was not uploaded again"

is "$(audit_count remote-verified "\"artifact\":\"$X\"")" 1 \
    "the second cycle checked the first copy with a HEAD (remote-verified)"

# behind cairn's back: one object deleted, the other cut short
Y=$(cd "$T/bk/a" && ls a_backup_*.db.gz | grep -v "$X" | head -1)
rm -f "$obj"
truncate -s 100 "$(s3_object "cairn/host1/a/$Y")"
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
isnt $? 0 "remote copies lost: cairnd -o exits non-zero" || show_log
is "$(audit_count remote-verify-failed "\"artifact\":\"$X\".*HTTP 404.*\"action\":\"re-upload\"")" 1 \
    "the deleted object is found (remote-verify-failed, 404, re-upload)"
is "$(audit_count remote-verify-failed "\"artifact\":\"$Y\".*the object has 100 bytes.*\"action\":\"re-upload\"")" 1 \
    "the altered object is found (its size)"
cmp -s "$T/bk/a/$X" "$obj" && cmp -s "$T/bk/a/$Y" "$(s3_object "cairn/host1/a/$Y")"
ok $? "both are uploaded again, byte for byte"
is "$(q "SELECT count(*) FROM remote_copies")" 3 "the catalog has the three copies"

# a wrong access key: a clear line, retried, audited, non-zero exit
echo WRONG > "$T/bad.access"
remote backups "$T/bad.access"
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
isnt $? 0 "a wrong key: cairnd -o exits non-zero"
is "$(audit_count upload-failed 'access denied \(HTTP 403 InvalidAccessKeyId')" 2 \
    "upload-failed says access denied, once per attempt (retries = 1)"
grep -q "upload of a_backup_.* failed: PUT: access denied .*check access_key_file and secret_key_file" \
    "$T/daemon.log"
ok $? "the log line names the files to check" || show_log
! grep -q WRONG "$T/daemon.log" "$T/bk/audit.log"
ok $? "the wrong key itself is not logged"
deliveries()	# EVENT: alerts of that event for job a at the receiver
{
	python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if l.strip() and
    json.loads(l).get("event") == sys.argv[2] and
    json.loads(l).get("job") == "a"))' "$R" "$1"
}
is "$(deliveries upload_failed)" 1 \
    "one upload_failed alert for the two failed attempts"
grep '"upload_failed"' "$R" | grep -q 'access denied'
ok $? "and it says why (access denied)"
grep -q '^cairn_upload_failures_total{job="a",kind="sqlite"} 2$' "$T/cairn.prom"
ok $? "the metrics count both failed attempts" ||
    grep upload "$T/cairn.prom" | sed 's/^/#   /'

# a missing bucket
remote nobucket "$T/s3.access"
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
isnt $? 0 "a missing bucket: cairnd -o exits non-zero"
# the wrong-key run's artifact (still without a copy) and the new one,
# each failed, none retried (an artifact re-verified meanwhile may be
# queued again by that verification, which is no retry)
bucket_err="bucket nobucket does not exist at http://127.0.0.1:$S3PORT \\(HTTP 404 NoSuchBucket\\)"
n=$(grep '"event":"upload-failed"' "$T/bk/audit.log" | grep -E "$bucket_err" |
    sed 's/.*"artifact":"\([^"]*\)".*/\1/' | sort -u | wc -l)
is "$n" 2 "upload-failed names the bucket, for both artifacts"
[ "$n" = 2 ] || { grep upload-failed "$T/bk/audit.log" | sed 's/^/# /'; show_log; }
is "$(audit_count upload-failed "$bucket_err.*\"attempt\":2")" 0 \
    "a missing bucket is not retried"
is "$(q "SELECT count(*) FROM remote_copies")" 3 \
    "a missing bucket does not make cairn forget its copies"
