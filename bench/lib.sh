# bench/lib.sh -- the start every MariaDB benchmark shares: the tree's paths
# ($top_srcdir, $top_builddir), the programs they run ($dump: the dump
# engine, $ctl: cairnctl, $sq: the SQLite bench program), the test suite's
# MariaDB harness and dataset, a private temp folder $W removed at exit,
# and say/now.  The script sets $here (its own folder) and sources this.
#
#   bench_need FILE...   exit with a hint unless each FILE is built

top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
export top_srcdir top_builddir
dump=$top_builddir/t/mysql-dump
ctl=$top_builddir/cairnctl
sq=$top_builddir/bench/cairn-sqlite-bench

bench_need()
{
	for f in "$@"; do
		[ -x "$f" ] || { echo "bench: $f not built (make; make" \
		    "t/mysql-dump)" >&2; exit 1; }
	done
}

. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$here/mysql-data.sh"
trap - HUP INT TERM
trap '_tap_run_atexit' EXIT
trap 'exit 130' INT TERM

tap_tmpdir
W=$TAP_TMP
say() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }
