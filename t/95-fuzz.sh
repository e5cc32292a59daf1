#!/bin/sh
# t/95-fuzz.sh -- run every libFuzzer target (mk/fuzz.am) for a bounded
# number of runs and seconds on a copy of its seed corpus; any crash, leak
# or sanitizer report fails.  Skips when clang/libFuzzer is not available.
#   FUZZ_RUNS (200000), FUZZ_SECONDS (20): the bounds per target
set -u
: "${top_srcdir:?run me from make check}" "${top_builddir:?}"
runs=${FUZZ_RUNS:-200000}
secs=${FUZZ_SECONDS:-20}

if [ "${FUZZ_ENABLED:-no}" != yes ]; then
	echo "1..0 # SKIP clang with libFuzzer not available"
	exit 0
fi
# shellcheck disable=SC2086
set -- ${FUZZ_TARGETS:-}
if [ $# -eq 0 ]; then
	echo "1..0 # SKIP no fuzz targets"
	exit 0
fi
echo "1..$#"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

n=0
for t in "$@"; do
	n=$((n + 1))
	name=${t##*/}
	short=${name#fuzz_}
	bin=$top_builddir/$t
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $name: $bin is not built (make fuzz)"
		continue
	fi
	# libFuzzer adds what it finds to the first folder: never the sources
	mkdir -p "$tmp/$short"
	if [ -d "$top_srcdir/fuzz/corpus/$short" ]; then
		cp "$top_srcdir/fuzz/corpus/$short"/* "$tmp/$short"/ 2>/dev/null
	fi
	log=$tmp/$short.log
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    "$bin" -runs="$runs" -max_total_time="$secs" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$tmp/$short-" \
	    "$tmp/$short" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && ! grep -Eq \
	    'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' \
	    "$log"; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $n - $name: ${execs:-?} runs, no crash"
	else
		echo "not ok $n - $name: exit status $rc"
		grep -E -A 30 'ERROR|runtime error' "$log" | head -n 60 |
		    sed 's/^/# /'
		for f in "$tmp/$short"-*; do
			[ -f "$f" ] || continue
			echo "# crashing input ${f##*/}:"
			od -c "$f" | head -n 8 | sed 's/^/#   /'
		done
	fi
done
