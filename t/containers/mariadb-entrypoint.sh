#!/bin/sh
# t/containers/mariadb-entrypoint.sh -- the first-start behaviour of the
# official mariadb image that docker/docker-compose.yaml relies on, for the
# stand-in image of t/97-compose.sh:
#  - an empty /var/lib/mysql is initialised, with root's password from
#    MARIADB_ROOT_PASSWORD_FILE (or MARIADB_ROOT_PASSWORD), root also from
#    any host, the database MARIADB_DATABASE and the user MARIADB_USER
#    (password from MARIADB_PASSWORD_FILE or MARIADB_PASSWORD) owning it;
#  - the scripts of /docker-entrypoint-initdb.d run once, in name order,
#    against a server reachable only through its socket (*.sh executed,
#    *.sql fed to the client);
#  - a healthcheck@localhost account for healthcheck.sh, its password in
#    /var/lib/mysql/.my-healthcheck.cnf;
#  - then mariadbd runs in the foreground on every interface, as mysql.
set -eu

die() { echo "docker-entrypoint: $*" >&2; exit 1; }

# VAR or VAR_FILE (the file's first line), like the official image
secret()
{
	eval "_v=\${$1:-} _f=\${$1_FILE:-}"
	[ -n "$_v" ] && [ -n "$_f" ] && die "both $1 and $1_FILE are set"
	if [ -n "$_f" ]; then
		[ -r "$_f" ] || die "$1_FILE: cannot read $_f"
		head -n 1 "$_f"
	else
		printf '%s' "$_v"
	fi
}

# a string as an SQL literal
lit() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"; }

datadir=/var/lib/mysql
sock=/run/mysqld/mysqld.sock

init_db()
{
	root_pw=$(secret MARIADB_ROOT_PASSWORD)
	[ -n "$root_pw" ] || die "MARIADB_ROOT_PASSWORD(_FILE) is required"
	user_pw=$(secret MARIADB_PASSWORD)
	hc_pw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "docker-entrypoint: initialising $datadir"
	mariadb-install-db --user=mysql --datadir="$datadir" \
	    --auth-root-authentication-method=normal --skip-test-db \
	    >/dev/null || die "mariadb-install-db failed"
	mariadbd --user=mysql --datadir="$datadir" --skip-networking \
	    --socket="$sock" &
	pid=$!
	i=0
	until mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 60 ] || die "the initialisation server did not start"
		sleep 1
	done
	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		echo "DELETE FROM mysql.global_priv WHERE user = '' OR"
		echo "  (user = 'root' AND host NOT IN ('localhost'));"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(lit "$root_pw");"
		echo "CREATE USER 'root'@'%' IDENTIFIED BY $(lit "$root_pw");"
		echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
		for h in localhost 127.0.0.1 ::1; do
			echo "CREATE USER 'healthcheck'@'$h' IDENTIFIED BY '$hc_pw';"
			echo "GRANT USAGE ON *.* TO 'healthcheck'@'$h';"
		done
		if [ -n "${MARIADB_DATABASE:-}" ]; then
			echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
		fi
		if [ -n "${MARIADB_USER:-}" ]; then
			echo "CREATE USER $(lit "$MARIADB_USER")@'%'"
			echo "  IDENTIFIED BY $(lit "$user_pw");"
			[ -z "${MARIADB_DATABASE:-}" ] ||
			    echo "GRANT ALL ON \`$MARIADB_DATABASE\`.* TO $(lit "$MARIADB_USER")@'%';"
		fi
		echo "FLUSH PRIVILEGES;"
	} | mariadb --socket="$sock" -uroot || die "setting up users failed"
	printf '[mariadb-client]\nport=3306\nsocket=%s\nuser=healthcheck\npassword=%s\n' \
	    "$sock" "$hc_pw" > "$datadir/.my-healthcheck.cnf"
	chown mysql:mysql "$datadir/.my-healthcheck.cnf"
	chmod 600 "$datadir/.my-healthcheck.cnf"
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		echo "docker-entrypoint: running $f"
		# shellcheck disable=SC1090
		case $f in
		*.sh)	if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
		*.sql)	mariadb --socket="$sock" -uroot -p"$root_pw" \
			    ${MARIADB_DATABASE:+"$MARIADB_DATABASE"} < "$f" ;;
		*.sql.gz) gunzip -c "$f" | mariadb --socket="$sock" -uroot \
			    -p"$root_pw" ${MARIADB_DATABASE:+"$MARIADB_DATABASE"} ;;
		*)	echo "docker-entrypoint: ignoring $f" ;;
		esac || die "$f failed"
	done
	kill "$pid"
	wait "$pid" || true
	echo "docker-entrypoint: initialised"
}

case ${1:-} in
mariadbd|mysqld)
	[ -d "$datadir/mysql" ] || init_db
	shift
	exec mariadbd --user=mysql --datadir="$datadir" --socket="$sock" \
	    --bind-address=0.0.0.0 "$@"
	;;
esac
exec "$@"
