#!/bin/sh
# bench/age.sh [INPUT] -- the cost of age encryption in the artifact writer:
# the same input through cairn-compress-bench with and without an age
# recipient (-a), in the same run, interleaved ROUNDS times; the best wall
# time of each counts (the machine is shared: the best run is the least
# disturbed).  Also the plain `age -e` of the compressed output, to show
# what encrypting after the fact would add.
#
# Without INPUT, builds a mysqldump-like sample as bench/compress.sh does.
# Environment: BENCH (default build/bench/cairn-compress-bench), THREADS
# (2), LEVEL (6), COMPRESSION (gzip), COPIES (24), ROUNDS (5).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$top/build/bench/cairn-compress-bench}
threads=${THREADS:-2}
level=${LEVEL:-6}
comp=${COMPRESSION:-gzip}
ds=${DATASETS:-/work/shared/datasets}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -x "$bench" ] || { echo "age.sh: $bench: build cairn first" >&2; exit 1; }
command -v age-keygen >/dev/null || { echo "age.sh: age-keygen needed" >&2; exit 1; }
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
age-keygen -o "$tmp/key.txt" 2>/dev/null
pub=$(age-keygen -y "$tmp/key.txt")

secs() { sed 's/.*seconds=\([0-9.]*\).*/\1/'; }
outb() { sed 's/.*out=\([0-9]*\).*/\1/'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

cat "$input" >/dev/null		# warm the page cache
plain= enc= r=0
while [ $r -lt "${ROUNDS:-5}" ]; do
	l1=$("$bench" -z "$comp" -t "$threads" -l "$level" "$input" "$tmp")
	l2=$("$bench" -z "$comp" -t "$threads" -l "$level" -a "$pub" "$input" "$tmp")
	echo "plain:     $l1"
	echo "encrypted: $l2"
	plain=$(min "$plain" "$(echo "$l1" | secs)")
	enc=$(min "$enc" "$(echo "$l2" | secs)")
	r=$((r + 1))
done
pb=$(echo "$l1" | outb)
eb=$(echo "$l2" | outb)
# encrypting the compressed file afterwards with the age tool, for scale
"$bench" -k -z "$comp" -t "$threads" -l "$level" "$input" "$tmp" >/dev/null 2>"$tmp/k"
f=$(sed 's/ sha256=.*//' "$tmp/k")
s=$(date +%s.%N)
age -e -r "$pub" "$f" >/dev/null
e=$(date +%s.%N)
awk -v n="$size" -v p="$plain" -v q="$enc" -v pb="$pb" -v eb="$eb" \
    -v t="$threads" -v c="$comp" -v l="$level" -v a="$(echo "$e - $s" | bc)" 'BEGIN {
	printf "input %d bytes, %s level %d, %d threads, best of rounds\n", n, c, l, t
	printf "writer without encryption: %.3f s (%.1f MB/s), %d bytes\n", p, n / p / 1e6, pb
	printf "writer with age encryption: %.3f s (%.1f MB/s), %d bytes (+%d)\n", q, n / q / 1e6, eb, eb - pb
	printf "encryption cost: %+.1f%% of the writer wall time\n", 100 * (q - p) / p
	printf "for scale: age -e of the compressed file afterwards: %.3f s\n", a
}'
