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
# Environment: DATASETS (folder with sakila/ and employees/, default
# ../shared/datasets beside the clone), BENCH (the cairn-compress-bench binary, default
# build/bench/cairn-compress-bench), THREADS (2), LEVEL (6), COPIES (24),
# ROUNDS (3).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$top/build/bench/cairn-compress-bench}
threads=${THREADS:-2}
level=${LEVEL:-6}
# the sample data sets: DATASETS, else a datasets folder beside the clone
ds=${DATASETS:-$top/../shared/datasets}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -x "$bench" ] || { echo "compress.sh: $bench: build cairn first" >&2; exit 1; }
if [ $# -ge 1 ]; then
	input=$1
else
	[ -f "$ds/sakila/sakila-mv-data.sql" ] || { echo "compress.sh: no" \
	    "sample data in $ds: give an INPUT file or set DATASETS" >&2; exit 1; }
	input=$tmp/sample.sql
	i=0
	while [ $i -lt "${COPIES:-24}" ]; do
		cat "$ds"/sakila/sakila-mv-data.sql "$ds"/employees/load_*.sql
		i=$((i + 1))
	done >"$input"
fi
size=$(wc -c <"$input")

# seconds of wall time of a command writing to $tmp/out
#
# With GNU time (/usr/bin/time) the CPU seconds (user + system) of each
# tool are shown too: on a loaded machine they say how much work each
# tool does per byte, whatever share of the cores it got.
have_time=no
/usr/bin/time -f '%U' -o /dev/null true 2>/dev/null && have_time=yes
timed() {	# prints "WALL CPU" of a command writing to $tmp/out
	s=$(date +%s.%N)
	if [ $have_time = yes ]; then
		/usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >"$tmp/out"
	else
		echo "0 0" >"$tmp/time"
		"$@" >"$tmp/out"
	fi
	e=$(date +%s.%N)
	echo "$s $e $(cat "$tmp/time")" |
	    awk '{ printf "%.3f %.3f", $2 - $1, $3 + $4 }'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

cat "$input" >/dev/null		# warm the page cache for everyone
gz_s= pz_s= c_s= gz_c= pz_c= c_c=
r=0
while [ $r -lt "${ROUNDS:-3}" ]; do
	set -- $(timed gzip -"$level" -c "$input")
	gz_s=$(min "$gz_s" "$1") gz_c=$(min "$gz_c" "$2")
	gz_b=$(wc -c <"$tmp/out")
	set -- $(timed pigz -"$level" -p "$threads" -c "$input")
	pz_s=$(min "$pz_s" "$1") pz_c=$(min "$pz_c" "$2")
	pz_b=$(wc -c <"$tmp/out")
	set -- $(timed "$bench" -t "$threads" -l "$level" "$input" "$tmp")
	c_c=$(min "$c_c" "$2")
	line=$(cat "$tmp/out")
	echo "$line"
	c_s=$(min "$c_s" "$(echo "$line" | sed 's/.*seconds=\([0-9.]*\).*/\1/')")
	c_b=$(echo "$line" | sed 's/.*out=\([0-9]*\).*/\1/')
	r=$((r + 1))
done

awk -v n="$size" -v gs="$gz_s" -v gb="$gz_b" -v ps="$pz_s" -v pb="$pz_b" \
    -v cs="$c_s" -v cb="$c_b" -v t="$threads" -v l="$level" \
    -v gc="$gz_c" -v pc="$pz_c" -v cc="$c_c" 'BEGIN {
	printf "input %d bytes, level %d, %d threads\n", n, l, t
	printf "%-16s %8s %9s %8s %s\n", "", "wall", "cpu", "size", "bytes"
	printf "%-16s %6.1f MB/s %6.1f MB/s %6.2f%% %d\n", "gzip -" l, n / gs / 1e6, (gc > 0 ? n / gc / 1e6 : 0), 100 * gb / n, gb
	printf "%-16s %6.1f MB/s %6.1f MB/s %6.2f%% %d\n", "pigz -" l " -p " t, n / ps / 1e6, (pc > 0 ? n / pc / 1e6 : 0), 100 * pb / n, pb
	printf "%-16s %6.1f MB/s %6.1f MB/s %6.2f%% %d\n", "cairn writer", n / cs / 1e6, (cc > 0 ? n / cc / 1e6 : 0), 100 * cb / n, cb
	printf "wall throughput: %.2fx gzip, %.2fx pigz; size: %.4f of gzip, %.4f of pigz\n", gs / cs, ps / cs, cb / gb, cb / pb
	if (cc > 0)
		printf "cpu per byte: %.2fx less than gzip, %.2fx less than pigz\n", gc / cc, pc / cc
}'
