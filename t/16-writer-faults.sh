#!/bin/sh
# t/16-writer-faults.sh -- the writer under ENOSPC, RLIMIT_FSIZE, failed
# fsync/rename (fault injection builds) and kill -9: a clear error, and
# never a file under the final name.
set -u
helper="${top_builddir:-.}/t/writer-helper"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-t16.XXXXXX") || exit 1
mnt=
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0
ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() {	# skip COUNT REASON
	i=0
	while [ $i -lt "$1" ]; do
		n=$((n + 1)); i=$((i + 1))
		echo "ok $n # SKIP $2"
	done
}
# Nothing in the folder at all (no final file, no partial).
empty() { [ -z "$(ls -A "$1")" ]; }

echo 1..14

# ENOSPC: a 1 MiB tmpfs, 4 MiB of incompressible bytes
d="$tmp/small"
mkdir "$d"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m cairn-t16 "$d" 2>/dev/null; then
	mnt="$d"
	"$helper" -r -g 4194304 -t 2 "$d" x.sql.gz 2>"$tmp/err"
	[ $? -eq 1 ]
	ok $? "ENOSPC (gzip): the helper reports failure"
	grep -q 'commit: writing .x.sql.gz.partial: No space left on device' \
	    "$tmp/err"
	ok $? "ENOSPC (gzip): the error names the file and the cause"
	empty "$d"
	ok $? "ENOSPC (gzip): no partial and no final file"
	"$helper" -r -g 4194304 -z zstd "$d" x.sql.zst 2>/dev/null
	[ $? -eq 1 ] && empty "$d"
	ok $? "ENOSPC (zstd): failure, nothing left"
	umount "$d"
	mnt=
else
	skip 4 "ENOSPC needs root and a tmpfs mount"
fi

# RLIMIT_FSIZE: works without root; write() fails with EFBIG
d="$tmp/fsize"
mkdir "$d"
"$helper" -f 200000 -r -g 1000000 -t 4 "$d" y.sql.gz 2>"$tmp/err"
[ $? -eq 1 ]
ok $? "RLIMIT_FSIZE (gzip): the helper reports failure"
grep -q 'commit: writing .y.sql.gz.partial: File too large' "$tmp/err"
ok $? "RLIMIT_FSIZE (gzip): the error names the file and the cause"
empty "$d"
ok $? "RLIMIT_FSIZE (gzip): no partial and no final file"
"$helper" -f 200000 -r -g 1000000 -z none "$d" y.sql 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'File too large' "$tmp/err" && empty "$d"
ok $? "RLIMIT_FSIZE (none): failure, nothing left"

# failed fsync / rename / folder fsync (builds with --enable-fault-injection)
d="$tmp/fault"
mkdir "$d"
if grep -q '^#define CAIRN_FAULT_INJECTION 1' "${top_builddir:-.}/config.h" 2>/dev/null; then
	for f in fsync rename dirsync; do
		CAIRN_WRITER_FAULT=$f "$helper" -g 100000 "$d" z.sql.gz \
		    2>"$tmp/err"
		[ $? -eq 1 ] && grep -q 'Input/output error' "$tmp/err" &&
		    empty "$d"
		ok $? "failed $f: reported ($(sed 's/.*commit: //' "$tmp/err")), nothing left"
	done
else
	skip 3 "built without --enable-fault-injection"
fi

# kill -9 mid-write: only a recognisable partial file, never the final name
d="$tmp/kill"
mkdir "$d"
"$helper" -g 3000000 -p "$tmp/marker" "$d" k.sql.gz &
pid=$!
i=0
while [ ! -e "$tmp/marker" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -e "$tmp/marker" ]
ok $? "kill -9: the helper wrote its data"
kill -9 $pid
wait $pid 2>/dev/null
[ ! -e "$d/k.sql.gz" ]
ok $? "kill -9: no file under the final name"
[ "$(ls -A "$d")" = ".k.sql.gz.partial" ]
ok $? "kill -9: only .k.sql.gz.partial is left, for the pruner"
