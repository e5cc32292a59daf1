# t/lib/tap.sh -- Test Anything Protocol helpers for cairn's shell tests.
#
# Source it first thing:  . "$top_srcdir/t/lib/tap.sh"
#
#   plan N              print "1..N" (call once, before any result)
#   skip_all REASON     print "1..0 # SKIP REASON" and exit 0
#   ok STATUS DESC      pass when STATUS is 0:  cmd; ok $? "cmd works"
#   nok STATUS DESC     pass when STATUS is not 0 (a command must fail)
#   is GOT WANT DESC    pass when the two strings are equal
#   isnt GOT WANT DESC  pass when they differ
#   like GOT ERE DESC   pass when GOT matches the extended regex ERE
#   skip N REASON       count N tests as skipped
#   diag MSG...         a "# MSG" line on stderr
#   bail MSG...         "Bail out! MSG" and exit 1: a broken environment
#   at_exit CMD         run CMD (a shell string) when the test exits, even on
#                       failure or a signal; last registered runs first
#   tap_tmpdir          make (once) a private temp folder, removed at exit,
#                       and set $TAP_TMP to it (call it directly, not in $())
#   tap_done            exit 0 only if every planned test ran and passed
#
# ok, nok, is, isnt and like return 0 when the test passed and 1 when it
# failed, so "ok $? DESC || bail ..." stops a test whose next steps need it.
#
# Plain POSIX sh (the tests run under $(SHELL), dash on Debian).  Results go
# to stdout; everything else goes to stderr so TAP stays clean.

_tap_planned=-1
_tap_ran=0
_tap_failed=0
_tap_atexit=
TAP_TMP=

plan()
{
	_tap_planned=$1
	echo "1..$1"
}

skip_all()
{
	echo "1..0 # SKIP $*"
	exit 0
}

# returns 1 on a failure, so `ok $? "..." || sed ... log` shows the log
_tap_result()
{
	_tap_ran=$((_tap_ran + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_ran - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_ran - $2"
		return 1
	fi
}

ok()
{
	_tap_st=$1
	shift
	case $_tap_st in
	''|*[!0-9]*)
		_tap_result 1 "$*"
		diag "ok: status '$_tap_st' is not a number"
		return 1 ;;
	*)	_tap_result "$_tap_st" "$*" ;;
	esac
}

nok()
{
	_tap_st=$1
	shift
	if [ "$_tap_st" -ne 0 ]; then
		_tap_result 0 "$*"
	else
		_tap_result 1 "$*"
		diag "expected a failure, got status 0"
		return 1
	fi
}

is()
{
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "     got: '$1'"
		diag "expected: '$2'"
		return 1
	fi
}

isnt()
{
	if [ "$1" != "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "got '$1', expected anything else"
		return 1
	fi
}

like()
{
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "     got: '$1'"
		diag "expected to match: $2"
		return 1
	fi
}

skip()
{
	_tap_n=$1
	shift
	while [ "$_tap_n" -gt 0 ]; do
		_tap_ran=$((_tap_ran + 1))
		echo "ok $_tap_ran # SKIP $*"
		_tap_n=$((_tap_n - 1))
	done
}

diag()
{
	printf '# %s\n' "$*" >&2
}

bail()
{
	echo "Bail out! $*"
	exit 1
}

_tap_run_atexit()
{
	_tap_cmds=$_tap_atexit
	_tap_atexit=
	# newline-separated, newest first; run in this shell (not a pipeline)
	# so the commands can wait for this shell's children
	set -f
	_tap_ifs=$IFS
	IFS='
'
	for _tap_c in $_tap_cmds; do
		IFS=$_tap_ifs
		eval "$_tap_c" >/dev/null 2>&1
	done
	IFS=$_tap_ifs
	set +f
	return 0
}

at_exit()
{
	_tap_atexit="$1
$_tap_atexit"
}

# an EXIT trap covers normal ends and `exit`; the signal traps turn a signal
# into an exit so the EXIT trap runs once
trap '_tap_rc=$?; _tap_run_atexit; exit $_tap_rc' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

tap_tmpdir()
{
	if [ -z "$TAP_TMP" ]; then
		TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cairn-t.XXXXXX") ||
		    bail "cannot create a temporary folder"
		at_exit "rm -rf '$TAP_TMP'"
	fi
}

tap_done()
{
	if [ "$_tap_planned" -ge 0 ] && [ "$_tap_ran" -ne "$_tap_planned" ]; then
		diag "planned $_tap_planned tests but ran $_tap_ran"
		exit 1
	fi
	[ "$_tap_planned" -lt 0 ] && echo "1..$_tap_ran"
	if [ "$_tap_failed" -ne 0 ]; then
		diag "failed $_tap_failed of $_tap_ran tests"
		exit 1
	fi
	exit 0
}
