# t/lib/dumptest.sh -- the start every dump-and-restore test shares.
# Source it first: it sources t/lib/tap.sh, mariadb.sh and dbcompare.sh,
# skips the whole test when no MariaDB server is installed, and sets
# $dump (the dump engine, t/mysql-dump) and $ctl (cairnctl).
#
#   dumptest_servers   after plan: a private temp folder ($TAP_TMP) with
#                      an empty $out in it, and two fresh servers, src and
#                      dst (t/lib/mariadb.sh); bails if one cannot start
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"
. "$top_srcdir/t/lib/dbcompare.sh"

mariadb_available || skip_all "no MariaDB server installed (mariadb-server)"
dump="$top_builddir/t/mysql-dump"
ctl=$CAIRNCTL

dumptest_servers()
{
	tap_tmpdir
	out=$TAP_TMP/out
	mkdir "$out"
	mariadb_start src || bail "cannot start the source server"
	mariadb_start dst || bail "cannot start the target server"
}
