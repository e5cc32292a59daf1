#!/bin/sh
# t/85-s3-client.sh -- the S3 client (src/lib/s3.c) against a real
# S3-compatible server (s3rver, t/lib/s3.sh): an empty object, a small one
# in one PUT, a multipart one, a large generated one with bounded memory,
# the server killed mid-upload and restarted (the retries complete it and
# no multipart upload is left behind), a wrong key and a missing bucket.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/s3.sh"

tap_tmpdir
T=$TAP_TMP
s3_setup
plan 29
s3_start
H="$top_builddir/t/s3-helper"
LARGE_MB=${CAIRN_S3_LARGE_MB:-1024}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# put FILE KEY: uploads, then HEAD; compares size, sha256 and bytes
put_check()
{
	_f=$1 _k=$2 _what=$3
	"$H" put "$S3URL" backups "$_k" "$_f" "$(sha "$_f")" > "$T/put.out" \
	    2> "$T/put.err"
	ok $? "$_what: uploaded" || diag "$(cat "$T/put.err")"
	"$H" head "$S3URL" backups "$_k" > "$T/head.out" 2>&1
	grep -qx "size $(stat -c %s "$_f")" "$T/head.out" &&
	    grep -qx "sha256 $(sha "$_f")" "$T/head.out"
	ok $? "$_what: HEAD has its size and sha256 metadata" ||
	    diag "$(cat "$T/head.out")"
	cmp -s "$_f" "$(s3_object "$_k")"
	ok $? "$_what: the server holds the same bytes"
}

: > "$T/empty"
put_check "$T/empty" "cairn/a/empty.sql.gz" "an empty file"
head -c 100000 /dev/urandom > "$T/small"
put_check "$T/small" "cairn/a/small.sql.gz" "a small file (one PUT)"
head -c $((21 * 1024 * 1024 + 12345)) /dev/urandom > "$T/multi"
S3_PART_MB=5 S3_CONCURRENCY=3 \
    put_check "$T/multi" "cairn/a/multi.sql.gz" "a 21 MiB file in 5 MiB parts"
is "$(s3_uploads)" 0 "no multipart upload is left on the server"

# a large generated (sparse) file: time and the peak resident set
truncate -s "${LARGE_MB}M" "$T/large"
t0=$(date +%s)
S3_PART_MB=8 S3_CONCURRENCY=4 "$H" put "$S3URL" backups cairn/a/large \
    "$T/large" 0000000000000000000000000000000000000000000000000000000000000000 \
    > "$T/put.out" 2> "$T/put.err"
ok $? "a ${LARGE_MB} MiB file: uploaded" || diag "$(cat "$T/put.err")"
t1=$(date +%s)
rss=$(sed -n 's/^maxrss_kib //p' "$T/put.out")
diag "${LARGE_MB} MiB in $((t1 - t0)) s, peak RSS ${rss} KiB (8 MiB x 4 parts)"
[ -n "$rss" ] && [ "$rss" -lt $((64 * 1024)) ]
ok $? "its peak resident set ($rss KiB) is under 64 MiB"
is "$(stat -c %s "$(s3_object cairn/a/large)")" $((LARGE_MB * 1024 * 1024)) \
    "the server holds all of it"
rm -f "$T/large" "$(s3_object cairn/a/large)"

# the server dies mid-upload and comes back: the parts are retried
head -c $((40 * 1024 * 1024)) /dev/urandom > "$T/crash"
S3_PART_MB=5 S3_CONCURRENCY=2 S3_BWLIMIT=$((8 * 1024 * 1024)) \
    "$H" put "$S3URL" backups cairn/a/crash "$T/crash" "$(sha "$T/crash")" \
    > "$T/put.out" 2> "$T/put.err" &
hp=$!
sleep 2
s3_stop KILL
sleep 2
s3_start
wait $hp
ok $? "killed and restarted mid-upload: the upload completes" ||
    diag "$(cat "$T/put.err")"
cmp -s "$T/crash" "$(s3_object cairn/a/crash)"
ok $? "the object is complete and byte-identical"
is "$(s3_uploads)" 0 "no multipart upload is left on the server"

# a wrong access key: one clear line, no retries of a 403
S3_ACCESS=WRONG "$H" put "$S3URL" backups cairn/a/x "$T/small" \
    "$(sha "$T/small")" > /dev/null 2> "$T/put.err"
is $? 77 "a wrong access key: exit NOPERM"
like "$(cat "$T/put.err")" "access denied \\(HTTP 403 InvalidAccessKeyId.*check access_key_file and secret_key_file" \
    "the error names the cause and the files to check"
S3_ACCESS=WRONG S3_PART_MB=5 "$H" put "$S3URL" backups cairn/a/x \
    "$T/multi" "$(sha "$T/multi")" > /dev/null 2> "$T/put.err"
like "$(cat "$T/put.err")" "^s3-helper: CreateMultipartUpload: access denied" \
    "a multipart upload with a wrong key fails at its start"

# listing: every page (2 keys a page), keys XML-escaped, the prefix only
for k in "cairn/l/a b" "cairn/l/b&c<d" cairn/l/c cairn/l/d/e cairn/lx; do
	"$H" put "$S3URL" backups "$k" "$T/empty" "$(sha "$T/empty")" \
	    > /dev/null 2>&1 || diag "cannot put $k"
done
S3_LIST_MAX=2 "$H" list "$S3URL" backups cairn/l/ > "$T/list.out" 2>&1
is "$(cat "$T/list.out")" "cairn/l/a b 0
cairn/l/b&c<d 0
cairn/l/c 0
cairn/l/d/e 0" "list: every key under the prefix, over three pages"
is "$(S3_LIST_MAX=1 "$H" list "$S3URL" backups cairn/ | grep -c '^cairn/l')" 5 \
    "list: one key a page"
"$H" list "$S3URL" backups nothing/ > "$T/list.out" 2>&1
ok $? "list: an empty prefix is no error"

# cancelled (SIGTERM, as cairnd stops an upload worker) mid-upload: the
# multipart upload is aborted on the server.  s3rver 3.7.1 implements
# neither AbortMultipartUpload (405) nor ListMultipartUploads (501): what
# can be checked is that the abort is sent and its answer logged.
S3_PART_MB=5 S3_CONCURRENCY=1 S3_BWLIMIT=2000000 "$H" put "$S3URL" backups \
    cairn/a/cancelled "$T/multi" "$(sha "$T/multi")" > /dev/null \
    2> "$T/put.err" &
hp=$!
i=0
while [ ! -d "$S3DIR/backups/._S3rver_uploads" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1
kill -TERM "$hp"
wait "$hp"
is $? 75 "a cancelled upload exits TEMPFAIL"
grep -q "AbortMultipartUpload: HTTP 405 MethodNotAllowed" "$T/put.err" &&
    grep -q "cancelled after" "$T/put.err"
ok $? "the multipart upload is aborted on the server (s3rver answers 405)"
grep -q "AbortMultipartUpload" "$T/put.err" || diag "$(cat "$T/put.err")"
[ ! -e "$(s3_object cairn/a/cancelled)" ]
ok $? "and no object is made of it"
rm -rf "$S3DIR/backups/._S3rver_uploads"

# a missing bucket
"$H" put "$S3URL" nobucket cairn/a/x "$T/small" "$(sha "$T/small")" \
    > /dev/null 2> "$T/put.err"
is $? 78 "a missing bucket: exit CONFIG"
like "$(cat "$T/put.err")" "bucket nobucket does not exist at $S3URL \\(HTTP 404 NoSuchBucket\\)" \
    "the error names the bucket and the endpoint"

# nothing listens: a connection error, after the retries
s3_stop
t0=$(date +%s)
"$H" put "$S3URL" backups cairn/a/x "$T/small" "$(sha "$T/small")" \
    > /dev/null 2> "$T/put.err"
is $? 69 "no server: exit UNAVAILABLE"
like "$(cat "$T/put.err")" "PUT: cannot connect to $S3URL" \
    "the error says it cannot connect, and where"
