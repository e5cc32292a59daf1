# t/lib/mariadb.sh -- throwaway MariaDB servers for cairn's integration tests.
#
# Source t/lib/tap.sh first, then this file.
#
#   mariadb_available        0 if a server and mariadb-install-db are installed
#   mariadb_start [NAME] [SERVER-OPTION...]
#                            create a fresh datadir in a private temp folder and
#                            start a server on a socket there and on TCP
#                            127.0.0.1 with a free port; wait until it answers.
#                            Sets MARIADB_DIR, MARIADB_SOCK, MARIADB_PORT,
#                            MARIADB_PID and MARIADB (the client command), and
#                            the same as NAME_DIR, NAME_SOCK, NAME_PORT,
#                            NAME_PID, NAME (NAME: a shell identifier; default
#                            MARIADB).  Options are appended to the server's
#                            command line (later ones win).  Returns 1 with
#                            the server's error log on stderr if it failed.
#   mdb ARGS...              the client on the last started server
#   mariadb_client SOCK ARGS...  the client on the server at SOCK
#   mariadb_create_user USER PASSWORD [PRIVILEGES] [SOCK]
#                            'USER'@'localhost' and 'USER'@'127.0.0.1' with
#                            that password, granted PRIVILEGES (ALL) on *.*
#   mariadb_stop [NAME]      clean shutdown, then remove its folder
#   mariadb_kill [NAME]      SIGKILL (a crash); the folder stays until exit
#   mariadb_running [NAME]   0 if the server is alive (zombies count as dead)
#
# Root connects as root@localhost without a password (the server is created
# with --auth-root-authentication-method=normal), whoever runs the test.  When
# the test runs as root, the server runs as root too (--user=root).
# Every server is killed and its folder removed when the test exits, even on
# failure (at_exit); a watchdog also kills it if the test shell is SIGKILLed.

MARIADB_DIR=
MARIADB_SOCK=
MARIADB_PORT=
MARIADB_PID=
MARIADB=

_mdb_find()
{
	for _mdb_p in "$@"; do
		if command -v "$_mdb_p" >/dev/null 2>&1; then
			command -v "$_mdb_p"
			return 0
		fi
		for _mdb_d in /usr/sbin /usr/local/sbin /usr/bin /usr/local/bin; do
			if [ -x "$_mdb_d/$_mdb_p" ]; then
				echo "$_mdb_d/$_mdb_p"
				return 0
			fi
		done
	done
	return 1
}

MARIADB_SERVER_BIN=$(_mdb_find mariadbd mysqld)
MARIADB_INSTALL_BIN=$(_mdb_find mariadb-install-db mysql_install_db)
MARIADB_CLIENT_BIN=$(_mdb_find mariadb mysql)
MARIADB_ADMIN_BIN=$(_mdb_find mariadb-admin mysqladmin)

mariadb_available()
{
	[ -n "$MARIADB_SERVER_BIN" ] && [ -n "$MARIADB_INSTALL_BIN" ] &&
	    [ -n "$MARIADB_CLIENT_BIN" ] && [ -n "$MARIADB_ADMIN_BIN" ]
}

# alive and not a zombie (a server we started may be our child)
_mdb_alive()
{
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

_mdb_free_port()
{
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
	else
		awk 'BEGIN { srand(); print 20000 + int(rand() * 40000) }'
	fi
}

mariadb_client()
{
	_mdb_s=$1
	shift
	"$MARIADB_CLIENT_BIN" --no-defaults -uroot --socket="$_mdb_s" "$@"
}

mdb()
{
	mariadb_client "$MARIADB_SOCK" "$@"
}

# _mdb_reap PID DIR: kill a server hard, wait for it, remove its folder
_mdb_reap()
{
	if _mdb_alive "$1"; then
		kill -9 "$1" 2>/dev/null
		_mdb_i=0
		while _mdb_alive "$1" && [ $_mdb_i -lt 100 ]; do
			sleep 0.1
			_mdb_i=$((_mdb_i + 1))
		done
	fi
	[ -n "$2" ] && rm -rf "$2"
	return 0
}

# mariadb-install-db is slow (seconds of fsyncs): build one datadir per
# server version and user under $top_builddir/t and copy it.  Concurrent
# tests may each build one; the first rename wins, the others are dropped.
_mdb_datadir()
{
	_mdb_ver=$("$MARIADB_SERVER_BIN" --version 2>/dev/null |
	    sed 's/[^A-Za-z0-9.]/_/g' | cut -c1-80)
	_mdb_tpl=${MARIADB_TEMPLATE_DIR:-${top_builddir:-${TMPDIR:-/tmp}}/t/mariadb-template}
	_mdb_tpl=$_mdb_tpl/$(id -u)-$_mdb_ver
	if [ ! -f "$_mdb_tpl/ready" ]; then
		mkdir -p "$(dirname "$_mdb_tpl")" 2>/dev/null
		_mdb_new=$_mdb_tpl.$$
		rm -rf "$_mdb_new"
		if ! "$MARIADB_INSTALL_BIN" --no-defaults --datadir="$_mdb_new" \
		    $_mdb_user --auth-root-authentication-method=normal \
		    --skip-test-db --skip-name-resolve \
		    --innodb-buffer-pool-size=16M --innodb-log-file-size=16M \
		    >"$_mdb_dir/install.log" 2>&1; then
			diag "mariadb: $MARIADB_INSTALL_BIN failed:"
			sed 's/^/#   /' "$_mdb_dir/install.log" | tail -n 20 >&2
			rm -rf "$_mdb_new"
			return 1
		fi
		: >"$_mdb_new/ready"
		mv -T "$_mdb_new" "$_mdb_tpl" 2>/dev/null || rm -rf "$_mdb_new"
	fi
	cp -a "$_mdb_tpl" "$1" && rm -f "$1/ready"
}

mariadb_start()
{
	_mdb_name=MARIADB
	case ${1:-} in
	''|-*)	;;
	*)	_mdb_name=$1; shift ;;
	esac
	mariadb_available || { diag "mariadb: no server installed"; return 1; }

	_mdb_dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-db.XXXXXX") || return 1
	at_exit "_mdb_reap \"\$(cat '$_mdb_dir/server.pid' 2>/dev/null)\" '$_mdb_dir'"
	mkdir "$_mdb_dir/tmp"
	_mdb_user=
	[ "$(id -u)" -eq 0 ] && _mdb_user=--user=root
	_mdb_datadir "$_mdb_dir/data" || return 1

	_mdb_try=0
	while :; do
		_mdb_try=$((_mdb_try + 1))
		_mdb_port=$(_mdb_free_port)
		: >"$_mdb_dir/error.log"
		# a subshell forks the server and exits: the server is never
		# this shell's job, and its pid lands in server.pid
		( "$MARIADB_SERVER_BIN" --no-defaults $_mdb_user \
		    --datadir="$_mdb_dir/data" --tmpdir="$_mdb_dir/tmp" \
		    --socket="$_mdb_dir/sock" --pid-file="$_mdb_dir/mariadbd.pid" \
		    --log-error="$_mdb_dir/error.log" \
		    --port="$_mdb_port" --bind-address=127.0.0.1 \
		    --skip-name-resolve --skip-log-bin \
		    --performance-schema=OFF --max-connections=60 \
		    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		    --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
		    --innodb-use-native-aio=0 --innodb-stats-persistent=0 \
		    "$@" </dev/null >/dev/null 2>&1 &
		  echo $! >"$_mdb_dir/server.pid" )
		_mdb_pid=$(cat "$_mdb_dir/server.pid")
		# watchdog: if the test shell dies without running at_exit
		# (SIGKILL), kill the server and remove its folder
		( while kill -0 $$ 2>/dev/null; do
			_mdb_alive "$_mdb_pid" || exit 0
			sleep 1
		  done
		  _mdb_reap "$_mdb_pid" "$_mdb_dir" ) </dev/null >/dev/null 2>&1 &

		_mdb_i=0
		_mdb_up=
		while [ $_mdb_i -lt 600 ]; do
			if ! _mdb_alive "$_mdb_pid"; then
				break
			fi
			if [ -S "$_mdb_dir/sock" ] &&
			    mariadb_client "$_mdb_dir/sock" -N -e 'SELECT 1' \
			    >/dev/null 2>&1; then
				_mdb_up=1
				break
			fi
			sleep 0.1
			_mdb_i=$((_mdb_i + 1))
		done
		[ -n "$_mdb_up" ] && break
		_mdb_reap "$_mdb_pid" ""
		if grep -qi 'bind on tcp/ip port\|address already in use' \
		    "$_mdb_dir/error.log" && [ $_mdb_try -lt 5 ]; then
			continue
		fi
		diag "mariadb: server in $_mdb_dir did not start:"
		sed 's/^/#   /' "$_mdb_dir/error.log" | tail -n 20 >&2
		return 1
	done

	MARIADB_DIR=$_mdb_dir
	MARIADB_SOCK=$_mdb_dir/sock
	MARIADB_PORT=$_mdb_port
	MARIADB_PID=$_mdb_pid
	MARIADB="$MARIADB_CLIENT_BIN --no-defaults -uroot --socket=$MARIADB_SOCK"
	if [ "$_mdb_name" != MARIADB ]; then
		eval "${_mdb_name}_DIR=\$MARIADB_DIR"
		eval "${_mdb_name}_SOCK=\$MARIADB_SOCK"
		eval "${_mdb_name}_PORT=\$MARIADB_PORT"
		eval "${_mdb_name}_PID=\$MARIADB_PID"
		eval "${_mdb_name}=\$MARIADB"
	fi
	return 0
}

_mdb_get()
{
	eval "_mdb_dir=\${${1}_DIR:-}"
	eval "_mdb_pid=\${${1}_PID:-}"
}

mariadb_create_user()
{
	_mdb_s=${4:-$MARIADB_SOCK}
	_mdb_pw=$(printf '%s' "$2" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")
	mariadb_client "$_mdb_s" -e "
	    CREATE USER '$1'@'localhost' IDENTIFIED BY '$_mdb_pw';
	    CREATE USER '$1'@'127.0.0.1' IDENTIFIED BY '$_mdb_pw';
	    GRANT ${3:-ALL} ON *.* TO '$1'@'localhost';
	    GRANT ${3:-ALL} ON *.* TO '$1'@'127.0.0.1';"
}

mariadb_stop()
{
	_mdb_get "${1:-MARIADB}"
	[ -n "$_mdb_dir" ] || return 1
	if _mdb_alive "$_mdb_pid"; then
		"$MARIADB_ADMIN_BIN" --no-defaults -uroot \
		    --socket="$_mdb_dir/sock" shutdown >/dev/null 2>&1 ||
		    kill "$_mdb_pid" 2>/dev/null
		_mdb_i=0
		while _mdb_alive "$_mdb_pid" && [ $_mdb_i -lt 300 ]; do
			sleep 0.1
			_mdb_i=$((_mdb_i + 1))
		done
	fi
	_mdb_reap "$_mdb_pid" "$_mdb_dir"
}

mariadb_kill()
{
	_mdb_get "${1:-MARIADB}"
	[ -n "$_mdb_pid" ] || return 1
	kill -9 "$_mdb_pid" 2>/dev/null
	_mdb_i=0
	while _mdb_alive "$_mdb_pid" && [ $_mdb_i -lt 100 ]; do
		sleep 0.1
		_mdb_i=$((_mdb_i + 1))
	done
	return 0
}

mariadb_running()
{
	_mdb_get "${1:-MARIADB}"
	_mdb_alive "$_mdb_pid"
}
