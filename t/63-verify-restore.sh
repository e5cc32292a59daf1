#!/bin/sh
# t/63-verify-restore.sh -- the verify restore test against a real MariaDB
# server: a throwaway server on a private socket, then the C helper.
set -u
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

mariadb_available || skip_all "no MariaDB server installed"
mariadb_start || bail "cannot start a MariaDB server"
CAIRN_TEST_MYSQL_SOCKET=$MARIADB_SOCK "$top_builddir/t/verify-restore-helper"
exit $?
