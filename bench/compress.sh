#!/bin/sh
# bench/compress.sh [INPUT] -- the artifact writer against gzip -6 and
# pigz -6 -p 2 on the same input, in the same run.
#
# Without INPUT, builds a mysqldump-like sample (~300 MB) from the sakila
# and employees data sets: copies far apart, so deflate's 32 KiB window
# does not see the repeats and the ratio stays realistic.
#
# Each tool runs ROUNDS times, interleaved, and the best wall time counts:
# the machine is shared, and the best run is the one least disturbed.
#
# Environment: BENCH (the cairn-compress-bench binary, default
# build/bench/cairn-compress-bench), THREADS (2), LEVEL (6), COPIES (24),
# ROUNDS (3).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$top/build/bench/cairn-compress-bench}
threads=${THREADS:-2}
level=${LEVEL:-6}
ds=${DATASETS:-/work/shared/datasets}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -x "$bench" ] || { echo "compress.sh: $bench: build cairn first" >&2; exit 1; }
if [ $# -ge 1 ]; then
	input=$1
else
	input=$tmp/sample.sql
	i=0
	while [ $i -lt "${COPIES:-24}" ]; do
		cat "$ds"/sakila/sakila-mv-data.sql "$ds"/employees/load_*.sql
		i=$((i + 1))
	done >"$input"
fi
size=$(wc -c <"$input")

# seconds of wall time of a command writing to $tmp/out
timed() {
	s=$(date +%s.%N)
	"$@" >"$tmp/out"
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.3f", $2 - $1 }'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

cat "$input" >/dev/null		# warm the page cache for everyone
gz_s= pz_s= c_s=
r=0
while [ $r -lt "${ROUNDS:-3}" ]; do
	gz_s=$(min "$gz_s" "$(timed gzip -"$level" -c "$input")")
	gz_b=$(wc -c <"$tmp/out")
	pz_s=$(min "$pz_s" "$(timed pigz -"$level" -p "$threads" -c "$input")")
	pz_b=$(wc -c <"$tmp/out")
	line=$("$bench" -t "$threads" -l "$level" "$input" "$tmp")
	echo "$line"
	c_s=$(min "$c_s" "$(echo "$line" | sed 's/.*seconds=\([0-9.]*\).*/\1/')")
	c_b=$(echo "$line" | sed 's/.*out=\([0-9]*\).*/\1/')
	r=$((r + 1))
done

awk -v n="$size" -v gs="$gz_s" -v gb="$gz_b" -v ps="$pz_s" -v pb="$pz_b" \
    -v cs="$c_s" -v cb="$c_b" -v t="$threads" -v l="$level" 'BEGIN {
	printf "input %d bytes, level %d, %d threads\n", n, l, t
	printf "%-16s %8.1f MB/s  %6.2f%%  %d bytes\n", "gzip -" l, n / gs / 1e6, 100 * gb / n, gb
	printf "%-16s %8.1f MB/s  %6.2f%%  %d bytes\n", "pigz -" l " -p " t, n / ps / 1e6, 100 * pb / n, pb
	printf "%-16s %8.1f MB/s  %6.2f%%  %d bytes\n", "cairn writer", n / cs / 1e6, 100 * cb / n, cb
	printf "throughput: %.2fx gzip, %.2fx pigz; size: %.4f of gzip, %.4f of pigz\n", gs / cs, ps / cs, cb / gb, cb / pb
}'
