#!/bin/sh
# bench/s3.sh -- cairn's S3 upload against s3cmd, to the same local
# S3-compatible server (s3rver from npm, as in the tests), in the same run.
#
#   1. writes SIZE_MB (1024) megabytes of random bytes (incompressible,
#      like a compressed artifact);
#   2. starts s3rver on a free port of 127.0.0.1 with its data in a
#      temporary folder;
#   3. uploads the file with cairn's client (t/s3-helper: the code the
#      upload worker runs, 8 MiB parts, 4 in flight) and with
#      `s3cmd put --multipart-chunk-size-mb=8`, twice each, alternating;
#   4. prints seconds, MB/s and peak RSS of each, and checks both objects
#      are byte-identical to the file.
#
# Environment: HELPER (build/t/s3-helper), S3RVER (build/t/s3rver/...,
# installed by `make check TESTS=t/85-s3-client.sh`), SIZE_MB (1024),
# PART_MB (8), CONCURRENCY (4).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
helper=${HELPER:-$top/build/t/s3-helper}
s3rver=${S3RVER:-$top/build/t/s3rver/node_modules/.bin/s3rver}
size=${SIZE_MB:-1024}
part=${PART_MB:-8}
conc=${CONCURRENCY:-4}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$helper" ] || { echo "s3.sh: $helper: build cairn first (make check)" >&2; exit 1; }
[ -x "$s3rver" ] || { echo "s3.sh: $s3rver: run make check TESTS=t/85-s3-client.sh once" >&2; exit 1; }
command -v s3cmd >/dev/null || { echo "s3.sh: no s3cmd (scripts/install-deps)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "s3.sh: no /usr/bin/time" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$tmp/data"
"$s3rver" -d "$tmp/data" -a 127.0.0.1 -p "$port" -s \
    --configure-bucket backups > "$tmp/s3rver.log" 2>&1 &
spid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
	i=$((i + 1)); [ $i -lt 150 ] || { echo "s3.sh: s3rver did not start" >&2; exit 1; }
	sleep 0.1
done
cat > "$tmp/s3cfg" <<CFG
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = 127.0.0.1:$port
host_bucket = 127.0.0.1:$port
use_https = False
signature_v2 = False
CFG

echo "s3.sh: $size MiB of random bytes"
head -c $((size * 1024 * 1024)) /dev/urandom > "$tmp/file"
sum=$(sha256sum "$tmp/file" | cut -d' ' -f1)
obj() { echo "$tmp/data/backups/bench/$1._S3rver_object"; }

run() {	# NAME CMD...: seconds and peak RSS into $tmp/NAME.times
	_n=$1; shift
	/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" > "$tmp/out" 2>&1 ||
	    { cat "$tmp/out" >&2; exit 1; }
	read -r _s _kb < "$tmp/t"
	echo "$_s $_kb" >> "$tmp/$_n.times"
	printf '%-6s %6.1f s  %6.1f MB/s  peak RSS %5d MiB\n' "$_n" "$_s" \
	    "$(echo "$size * 1.048576 / $_s" | bc -l)" $((_kb / 1024))
}
for round in 1 2; do
	S3_PART_MB=$part S3_CONCURRENCY=$conc run cairn "$helper" put \
	    "http://127.0.0.1:$port" backups bench/cairn "$tmp/file" "$sum"
	run s3cmd s3cmd -c "$tmp/s3cfg" --no-progress --multipart-chunk-size-mb="$part" \
	    put "$tmp/file" s3://backups/bench/s3cmd
done
cmp "$tmp/file" "$(obj cairn)" && cmp "$tmp/file" "$(obj s3cmd)" &&
    echo "s3.sh: both objects are byte-identical to the file"
best() { sort -n "$tmp/$1.times" | head -1 | cut -d' ' -f1; }
echo "s3.sh: best of 2: cairn $(best cairn) s, s3cmd $(best s3cmd) s"
