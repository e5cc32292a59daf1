#!/bin/sh
# t/20-conf.sh -- cairnd -n on the shipped example, a full config, and one
# broken config per kind of problem.  Each t/conf/bad-*.conf starts with
# "# expect: ERE": the ERE must match one of cairnd's messages once the
# leading file name is cut off (so it starts ":LINE: option: ...").
# "@TMP@" in a config stands for this test's private temporary folder.
set -u

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
diag() {
	sed 's/^/# /' "$@" >&2
}

tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
confdir="$top_srcdir/t/conf"
unset BACKUP_RETENTION_DAYS MYSQL_HOST MYSQL_PORT CAIRN_TEST_HOST \
    CAIRN_TEST_PORT CAIRN_TEST_UNSET_HOST CAIRN_TEST_UNSET_DAYS TZDIR
echo secret > "$tmp/good.password"
chmod 600 "$tmp/good.password"
echo secret > "$tmp/unreadable.password"
chmod 000 "$tmp/unreadable.password"

# instantiate FILE into $tmp with @TMP@ replaced; prints the new path
inst() {
	sed "s|@TMP@|$tmp|g" "$1" > "$tmp/$(basename "$1")"
	echo "$tmp/$(basename "$1")"
}

# the shipped example: valid, exactly one summary line, nothing on stderr
ex="$top_srcdir/etc/cairn.conf.example"
"$CAIRND" -n -f "$ex" > "$tmp/out" 2> "$tmp/err"
rc=$?
ok $rc "cairnd -n accepts etc/cairn.conf.example"
[ "$rc" -eq 0 ] || diag "$tmp/err"
[ "$(wc -l < "$tmp/out")" -eq 1 ] && [ ! -s "$tmp/err" ] &&
    grep -q '^.*: ok: 1 job (0 mysql, 1 sqlite), backup_dir /var/backups/cairn, retention 7 days' "$tmp/out"
ok $? "the example gives one summary line and no warnings"

# its commented-out mysql job, uncommented and given a password file
sed -e 's/^#mysql/mysql/; s/^#\t/\t/; s/^#}/}/' \
    -e "s|/etc/cairn/mysql-backup.password|$tmp/good.password|" \
    "$ex" > "$tmp/example-mysql.conf"
"$CAIRND" -n -f "$tmp/example-mysql.conf" > "$tmp/out" 2> "$tmp/err"
ok $? "the example's mysql job is valid once uncommented"
grep -q ': ok: 2 jobs (1 mysql, 1 sqlite)' "$tmp/out"
ok $? "the uncommented example has both jobs"

# every option the parser knows is documented in the example and the man page
missing=
for o in $(grep -o '\<[SL]("[a-z_]*")\|CFG_SEC("[a-z_]*"' \
    "$top_srcdir/src/lib/conf.c" | sed 's/.*("\([a-z_]*\)".*/\1/' | sort -u); do
	grep -q "\<$o\>" "$ex" || missing="$missing example:$o"
	grep -q "Ic $o\>\|^\.Ss The $o section" "$top_srcdir/man/cairn.conf.5" ||
	    missing="$missing man:$o"
done
[ -z "$missing" ]
ok $? "every option is in the example and in cairn.conf(5)${missing:+:$missing}"

# a full config using every section, env defaults and an integer from ${}
f=$(inst "$confdir/good-full.conf")
"$CAIRND" -n -f "$f" > "$tmp/out" 2> "$tmp/err"
ok $? "cairnd -n accepts a full config"
[ -s "$tmp/err" ] && diag "$tmp/err"

# BACKUP_RETENTION_DAYS overrides days when valid, is ignored with a warning
BACKUP_RETENTION_DAYS=30 "$CAIRND" -n -f "$f" > "$tmp/out" 2> "$tmp/err"
grep -q 'retention 30 days' "$tmp/out"
ok $? "BACKUP_RETENTION_DAYS=30 overrides days = 14"
BACKUP_RETENTION_DAYS=soon "$CAIRND" -n -f "$f" > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q 'retention 14 days' "$tmp/out" &&
    grep -q '^.*: warning: BACKUP_RETENTION_DAYS: "soon" is not a number of days' "$tmp/err"
ok $? "an invalid BACKUP_RETENTION_DAYS is ignored with a warning"

# each broken config: exit 78 (EX_CONFIG) and the expected message
for src in "$confdir"/bad-*.conf; do
	name=$(basename "$src" .conf)
	if grep -q '^# root: skip' "$src" && [ "$(id -u)" -eq 0 ]; then
		skip "$name: root reads any file"
		skip "$name: root reads any file"
		continue
	fi
	f=$(inst "$src")
	pat=$(sed -n '1s/^# expect: //p' "$f")
	"$CAIRND" -n -f "$f" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	[ $rc -eq 78 ] && [ ! -s "$tmp/out" ]
	ok $? "$name: exit 78 and no summary"
	awk -v f="$f" 'index($0, f) == 1 { print substr($0, length(f) + 1) }' \
	    "$tmp/err" | grep -E -q -- "$pat"
	rc=$?
	ok $rc "$name: the message names file, line and option"
	if [ $rc -ne 0 ]; then
		echo "expected: $f$pat" | diag
		diag "$tmp/err"
	fi
done

# all problems of a file in one pass
f=$(inst "$confdir/bad-many.conf")
"$CAIRND" -n -f "$f" > /dev/null 2> "$tmp/err"
[ "$(grep -c "^$f:[0-9]*: " "$tmp/err")" -eq 4 ]
ok $? "four problems in one file give four messages"

# a file that is not there; command line errors
"$CAIRND" -n -f "$tmp/nonexistent.conf" > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -eq 78 ] && grep -q "^$tmp/nonexistent.conf: cannot open: No such file" "$tmp/err"
ok $? "a missing config file exits 78 and says so"
"$CAIRND" -x > /dev/null 2>&1
[ $? -eq 64 ]
ok $? "an unknown option exits 64"
"$CAIRND" -V | grep -q '^cairn [0-9]'
ok $? "-V prints the version"
"$CAIRND" -h | grep -q '^usage: cairnd'
ok $? "-h prints the usage"

echo "1..$n"
[ $failed -eq 0 ]
