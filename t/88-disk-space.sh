#!/bin/sh
# t/88-disk-space.sh -- a run that cannot fit fails early and says why.
# The backup folder is a 16 MiB tmpfs; the source is an SQLite file of
# 64 MiB apparent size that occupies a few KiB (sparse: SQLite reads the
# holes as pages, so the snapshot copy would be 64 MiB, dense).  The run is
# refused before it writes the copy, with the free and needed space, and
# leaves nothing behind; a small source on the same folder still backs up.
# Needs root (mount); skipped otherwise.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

[ "$(id -u)" -eq 0 ] || skip_all "not root (mounts a tmpfs)"
daemon_setup
mkdir "$T/bk"
mount -t tmpfs -o size=16m,mode=0750 tmpfs "$T/bk" 2>/dev/null ||
    skip_all "cannot mount a tmpfs"
at_exit "umount '$T/bk'"
plan 7

mkdb "$T/sparse.db" 100 DELETE
# no valid size in the header: SQLite sizes the database by the file
printf '\377\377\377\377' | dd of="$T/sparse.db" bs=1 seek=92 conv=notrunc \
    2>/dev/null
truncate -s 64M "$T/sparse.db"
is "$(sqlite3 "$T/sparse.db" 'PRAGMA page_count')" 16384 \
    "the source has 64 MiB of pages"
[ "$(du -k "$T/sparse.db" | cut -f1)" -lt 1024 ]
ok $? "but occupies under 1 MiB ($(du -k "$T/sparse.db" | cut -f1) KiB)"

conf_head "$T/s.conf" 'defaults { schedule = "0 0 1 1 *" retries = 0 }' \
    "sqlite s { path = \"$T/sparse.db\" }"
start=$(date +%s)
"$CAIRND" -o -f "$T/s.conf" > "$T/s.log" 2>&1
nok $? "the run of the sparse source fails"
grep -q "not enough free space in $T/bk/s: .* MiB free, about .* MiB needed" \
    "$T/s.log"
ok $? "early, naming the free and the needed space" ||
    sed 's/^/#   /' "$T/s.log" >&2
diag "$(grep 'not enough free space' "$T/s.log" | head -n 1)"
is "$(find "$T/bk/s" -name '*.tmp' -o -name '*.partial' | wc -l | tr -d ' ')" \
    0 "no temporary copy or partial artifact is left"
[ "$(df -k "$T/bk" | awk 'NR == 2 { print $3 }')" -lt 2048 ]
ok $? "the backup folder was never filled ($(df -k "$T/bk" | awk 'NR == 2 { print $3 }') KiB used)"

mkdb "$T/small.db" 50 DELETE
conf_head "$T/b.conf" 'defaults { schedule = "0 0 1 1 *" }' \
    "sqlite b { path = \"$T/small.db\" }"
"$CAIRND" -o -f "$T/b.conf" > "$T/b.log" 2>&1
ok $? "a source that fits still backs up on the same folder" ||
    sed 's/^/#   /' "$T/b.log" >&2
diag "took $(($(date +%s) - start)) s"

tap_done
