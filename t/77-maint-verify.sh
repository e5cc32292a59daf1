#!/bin/sh
# t/77-maint-verify.sh -- the verify worker of cairnd: a byte flipped
# anywhere in an artifact, a truncated artifact, a deleted catalog row and
# an artifact replaced by a valid gzip of other data are each found, named
# in the catalog and the audit trail, and make cairnd -o exit non-zero.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
plan 31

mkdb "$T/a.db" 500
conf_head "$T/c.conf" "sqlite a { path = \"$T/a.db\" }"

q()	# SQL on the catalog
{
	sqlite3 "$T/bk/catalog.db" "$1"
}

# a fresh folder with one good, verified artifact; its name in $X
fresh()
{
	rm -rf "$T/bk"
	"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1 || return 1
	X=$(cd "$T/bk/a" && ls a_backup_*.db.gz)
	[ "$(q "SELECT status FROM artifacts WHERE path = 'a/$X'")" = ok ]
	_r=$?
	sleep 1		# the next run's artifact gets another name
	return $_r
}

flip()	# FILE OFFSET: xor one byte with 0x01
{
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((_b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# cairnd -o after the damage: non-zero, catalog and audit name X
detected()	# WHAT CHECK-REGEX
{
	"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
	_rc=$?
	isnt $_rc 0 "$1: cairnd -o exits non-zero" || show_log
	is "$(q "SELECT status FROM artifacts WHERE path = 'a/$X'")" \
	    failed-verify "$1: the catalog marks the artifact failed"
	audit_has artifact-verify-failed "\"artifact\":\"$X\",\"check\":\"$2\""
	ok $? "$1: artifact-verify-failed names it and the check ($2)" ||
	    grep verify-failed "$T/bk/audit.log" | sed 's/^/# /'
}

fresh
ok $? "a clean cycle: the new artifact is verified (catalog ok)" || show_log
is "$(audit_count artifact-verified "\"artifact\":\"$X\"")" 1 \
    "artifact-verified is in the audit trail"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "a second cycle re-verifies every artifact and exits 0" || show_log
is "$(audit_count artifact-verified "\"artifact\":\"$X\"")" 2 \
    "the old artifact was verified again"

size=$(wc -c < "$T/bk/a/$X")
# the gzip header's MTIME (only the SHA-256 covers it), the first deflate
# byte, the middle, the CRC-32 and the last byte (ISIZE)
for off in 5 10 $((size / 2)) $((size - 8)) $((size - 1)); do
	fresh || bail "cannot make a fresh artifact"
	flip "$T/bk/a/$X" "$off"
	detected "byte $off of $size flipped" 'sha256|stream'
done

fresh || bail "cannot make a fresh artifact"
truncate -s $((size / 2)) "$T/bk/a/$X"
detected "truncated to half" 'sha256|stream|size'
q "SELECT verify_result FROM artifacts WHERE path = 'a/$X'" |
    grep -Eq 'truncated|unexpected end|sha256'
ok $? "the catalog's result says why" ||
    q "SELECT verify_result FROM artifacts WHERE path = 'a/$X'" >&2

fresh || bail "cannot make a fresh artifact"
mkdb "$T/other.db" 500
sqlite3 "$T/other.db" "UPDATE t SET v = 'changed' WHERE id = 7"
gzip -c "$T/other.db" > "$T/bk/a/$X"
detected "replaced by a valid gzip of other data" 'sha256'

fresh || bail "cannot make a fresh artifact"
q "DELETE FROM artifacts WHERE path = 'a/$X'"
detected "catalog row deleted" 'catalog'
audit_has artifact-found "\"artifact\":\"a/$X\""
ok $? "the file without a row was found at start-up and audited"

"$CAIRND" --verify-audit "$T/bk/audit.log" >/dev/null
ok $? "the audit trail still verifies"
