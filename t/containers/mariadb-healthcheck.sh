#!/bin/sh
# t/containers/mariadb-healthcheck.sh -- the subset of the official mariadb
# image's healthcheck.sh that docker/docker-compose.yaml uses, for the
# stand-in image of t/97-compose.sh:
#   --connect            the server accepts TCP connections (so not the
#                        socket-only server of the first-start setup)
#   --innodb_initialized InnoDB is up
# It logs in as healthcheck@localhost (/var/lib/mysql/.my-healthcheck.cnf).
# Exit 0 only if every test given passes.
set -u
cnf=/var/lib/mysql/.my-healthcheck.cnf
[ -r "$cnf" ] || { echo "healthcheck: no $cnf yet" >&2; exit 1; }
q() { mariadb --defaults-extra-file="$cnf" --protocol=tcp -h 127.0.0.1 \
    -N -B -e "$1"; }
[ $# -gt 0 ] || { echo "healthcheck: no test given" >&2; exit 1; }
for t in "$@"; do
	case $t in
	--connect)
		q 'SELECT 1' >/dev/null || exit 1 ;;
	--innodb_initialized)
		[ "$(q "SELECT 1 FROM information_schema.ENGINES WHERE
		    engine = 'InnoDB' AND support IN ('YES', 'DEFAULT')")" = 1 ] ||
		    exit 1 ;;
	*)	echo "healthcheck: unsupported test $t" >&2; exit 1 ;;
	esac
done
