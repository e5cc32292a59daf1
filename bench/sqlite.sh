#!/bin/sh
# bench/sqlite.sh -- cairn's sqlite snapshot against
# `sqlite3 DB ".backup X" && gzip -6 X`, in the same run.
#
#   1. builds a database of SIZE_MB (500) megabytes of realistic rows
#      (cairn-sqlite-bench build: customers, orders, events with names,
#      addresses, amounts, dates, JSON);
#   2. times the reference and cairn on the idle database (same conditions)
#      and compares time and size; then times cairn's after-backup
#      verification of that artifact (decompress, integrity_check, counts)
#      and prints its cost as a ratio of the backup's time; with AGE=1, the
#      same backup and verification encrypted (age-keygen's key), whose
#      temporary copies are sealed (docs/encryption.md);
#   3. runs cairn again while a writer commits every millisecond and
#      reports the writer's longest wait for a lock;
#   4. with APPROACHES=1, the ways to drive the backup API under that
#      writer: one step under a read transaction ("held") and the sqlite3
#      shell's 100-page steps ("steps", given 60 s).
#
# Environment: BENCH (build/bench/cairn-sqlite-bench), SIZE_MB (500), AGE (0),
# MODE (wal or rollback), LEVEL (6), THREADS (0: all CPUs), KEEP (a folder
# to build the database in and keep it, to rerun without rebuilding).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$top/build/bench/cairn-sqlite-bench}
size=${SIZE_MB:-500}
mode=${MODE:-wal}
level=${LEVEL:-6}
threads=${THREADS:-0}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
wpid=
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$bench" ] || { echo "sqlite.sh: $bench: build cairn first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite.sh: no sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "sqlite.sh: no /usr/bin/time (apt-get install time)" >&2; exit 1; }

wflag=
[ "$mode" = wal ] && wflag=-w
if [ -n "${KEEP:-}" ]; then
	mkdir -p "$KEEP"
	db=$KEEP/app-$mode-$size.db
	[ -f "$db" ] || "$bench" build $wflag "$db" "$size"
else
	db=$tmp/app.db
	"$bench" build $wflag "$db" "$size"
fi
mkdir "$tmp/out"

# runs a command; its wall seconds go to $tmp/wall, its CPU seconds (user +
# system, children included) to $tmp/cpu
timed() {
	s=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$tmp/cpu.raw" "$@"
	e=$(date +%s.%N)
	awk '{ printf "%.2f", $1 + $2 }' "$tmp/cpu.raw" >"$tmp/cpu"
	echo "$s $e" | awk '{ printf "%.3f", $2 - $1 }' >"$tmp/wall"
}
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

cat "$db" >/dev/null		# warm the page cache for everyone
timed sh -c "sqlite3 '$db' '.backup $tmp/ref.db' && gzip -6 '$tmp/ref.db'"
ref_s=$(cat "$tmp/wall")
ref_cpu=$(cat "$tmp/cpu")
ref_b=$(wc -c <"$tmp/ref.db.gz")
raw_b=$(wc -c <"$db")
rm -f "$tmp/ref.db.gz"

timed "$bench" snapshot -l "$level" -t "$threads" "$db" "$tmp/out" \
    >"$tmp/line" 2>&1
line=$(cat "$tmp/line")
c_cpu=$(cat "$tmp/cpu")
c_s=$(cat "$tmp/wall")
c_b=$(field "$line" out)
art=$(field "$line" artifact)
vline=$("$bench" verify "$tmp/out" "$art")
v_s=$(field "$vline" seconds)
rm -f "$tmp/out"/*

echo "database: $raw_b bytes ($mode), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sqlite3 .backup && gzip -6: $ref_s s ($ref_cpu s CPU), $ref_b bytes"
echo "cairn (level $level):         $c_s s ($c_cpu s CPU), $c_b bytes  [$(echo "$line" |
    sed 's/.*\(copy=.*\)/\1/')]"
echo "$ref_s $c_s $ref_b $c_b" | awk '{ printf "time ratio: %.2fx faster; size ratio: %.4f (cairn / gzip -6)\n", $1 / $2, $4 / $3 }'
echo "cairn verify:                $v_s s, peak RSS $(field "$vline" maxrss_kb) KiB"
echo "$c_s $v_s" | awk '{ printf "verify / backup: %.2f\n", $2 / $1 }'

if [ "${AGE:-0}" = 1 ]; then
	command -v age-keygen >/dev/null || { echo "sqlite.sh: no age-keygen" >&2; exit 1; }
	age-keygen -o "$tmp/key.txt" 2>/dev/null
	pk=$(age-keygen -y "$tmp/key.txt")
	line=$("$bench" snapshot -l "$level" -t "$threads" -r "$pk" "$db" "$tmp/out")
	e_s=$(field "$line" seconds)
	vline=$("$bench" verify -i "$tmp/key.txt" "$tmp/out" "$(field "$line" artifact)")
	ev_s=$(field "$vline" seconds)
	rm -f "$tmp/out"/*
	echo "cairn encrypted (sealed copy): backup $e_s s, verify $ev_s s, peak RSS $(field "$vline" maxrss_kb) KiB"
	echo "$c_s $e_s $ev_s" | awk '{ printf "encrypted: backup %.2f of the plain one; verify / backup: %.2f\n", $2 / $1, $3 / $2 }'
fi

# the same snapshot while an application commits every millisecond
"$bench" writer -i 1000 "$db" >"$tmp/writer.out" &
wpid=$!
sleep 1
line=$("$bench" snapshot -l "$level" -t "$threads" "$db" "$tmp/out")
sleep 1
kill -TERM "$wpid"
wait "$wpid" || true
wpid=
rm -f "$tmp/out"/*
echo "cairn under a writer: $(field "$line" seconds) s; writer: $(cat "$tmp/writer.out")"

if [ "${APPROACHES:-0}" = 1 ]; then
	for how in held steps; do
		"$bench" writer -i 1000 "$db" >"$tmp/writer.out" &
		wpid=$!
		sleep 1
		r=$("$bench" copy "$how" "$db" "$tmp/copy.db" || true)
		sleep 1
		kill -TERM "$wpid"
		wait "$wpid" || true
		wpid=
		rm -f "$tmp/copy.db"
		echo "$r; writer: $(cat "$tmp/writer.out")"
	done
fi
