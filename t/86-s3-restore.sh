#!/bin/sh
# t/86-s3-restore.sh -- restore from the remote on a "new host": cairnd -o
# backs up an SQLite job and uploads it to s3rver (t/lib/s3.sh); then, with
# a fresh backup folder and the same s3 section and key files, cairnctl
# restore --remote downloads the copy, checks its SHA-256 against the
# object's metadata and restores it: the .dump equals the source's.  An
# object altered behind cairn's back (same size, metadata kept) is
# refused; a missing object and an unknown remote fail clearly; nothing is
# left in the temporary folder.  The same altered object passes a HEAD
# check but not the remote check with verify_download = true, which
# uploads it again.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"
. "$top_srcdir/t/lib/s3.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
s3_setup
plan 21
s3_start

mkdb "$T/a.db" 3000
conf()	# FILE BACKUP_DIR [S3 OPTION]
{
	conf_head "$1" 'defaults { upload = "offsite" }' \
	    "sqlite a { path = \"$T/a.db\" }" "$(s3_section "${3:-}")"
	sed -i "s|^backup_dir = .*|backup_dir = \"$2\"|" "$1"
}
conf "$T/c.conf" "$T/bk"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "cairnd -o backs up and uploads" || show_log
X=$(cd "$T/bk/a" && ls a_backup_*.db.gz)

# the new host: an empty backup folder, the same remote and keys
mkdir -p "$T/new" "$T/tmp"
conf "$T/new.conf" "$T/new/bk"
export TMPDIR="$T/tmp"
"$CAIRNCTL" -f "$T/new.conf" restore --remote offsite "a/$X" \
    --to "$T/restored.db" > "$T/r.out" 2>&1
ok $? "restore --remote on a new host exits 0" || sed 's/^/# /' "$T/r.out"
grep -q "downloaded cairn/host1/a/$X from offsite (.* bytes, SHA-256 as stored with it)" "$T/r.out"
ok $? "it says what it downloaded and that the SHA-256 matched" ||
    sed 's/^/# /' "$T/r.out"
[ "$(sqlite3 "$T/restored.db" .dump | sha256sum)" = "$(sqlite3 "$T/a.db" .dump | sha256sum)" ]
ok $? "the restored database dumps like the source"
is "$(ls -A "$T/tmp")" "" "the download is gone from the temporary folder"

# with the backup folder that has the catalog: its SHA-256 is checked too
"$CAIRNCTL" -f "$T/c.conf" restore --remote offsite "$X" \
    --to "$T/restored2.db" > "$T/r.out" 2>&1
ok $? "restore --remote NAME (job from the name) with the catalog" ||
    sed 's/^/# /' "$T/r.out"
! grep -q "not in the catalog" "$T/r.out"
ok $? "and the catalog knew the artifact"

# behind cairn's back: one byte changed, size and metadata kept
obj=$(s3_object "cairn/host1/a/$X")
cp "$obj" "$T/obj.orig"
printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
"$CAIRNCTL" -f "$T/new.conf" restore --remote offsite "a/$X" \
    --to "$T/restored3.db" > "$T/r.out" 2>&1
is $? 93 "an altered object is refused (exit VERIFY)"
like "$(cat "$T/r.out")" "the downloaded bytes have SHA-256 [0-9a-f]{64}, the object's metadata says" \
    "naming both digests"
[ ! -e "$T/restored3.db" ] && [ -z "$(ls -A "$T/tmp")" ]
ok $? "nothing restored, nothing left behind"

# the remote check: a HEAD cannot see it, verify_download does
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "a cycle with HEAD checks only passes" || show_log
is "$(audit_count remote-verified "\"artifact\":\"$X\"")" 1 \
    "the altered copy looks right to a HEAD (remote-verified)"
conf "$T/c.conf" "$T/bk" "verify_download = true"
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
isnt $? 0 "with verify_download = true the cycle fails" || show_log
is "$(audit_count remote-verify-failed "\"artifact\":\"$X\".*remote download check: the object's bytes have SHA-256 [0-9a-f]{64}, not the artifact's.*\"action\":\"re-upload\"")" 1 \
    "the download finds the altered bytes (remote-verify-failed, re-upload)"
cmp -s "$T/bk/a/$X" "$obj"
ok $? "and the copy is uploaded again, byte for byte"
sleep 1
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "the next cycle downloads every copy and passes" || show_log
grep -q "downloaded and checked" "$T/daemon.log"
ok $? "its log says the copies were downloaded and checked" || show_log

"$CAIRNCTL" -f "$T/new.conf" restore --remote offsite \
    a/a_backup_20200101_000000.db.gz --to "$T/r4.db" > "$T/r.out" 2>&1
is $? 66 "a missing object: exit NOINPUT"
like "$(cat "$T/r.out")" "no object cairn/host1/a/a_backup_20200101_000000.db.gz in bucket backups" \
    "naming the key and the bucket"
"$CAIRNCTL" -f "$T/new.conf" restore --remote elsewhere "a/$X" \
    --to "$T/r5.db" > "$T/r.out" 2>&1
is $? 78 "an unknown remote: exit CONFIG"
like "$(cat "$T/r.out")" "--remote elsewhere: no s3 section of that name" \
    "saying so"
