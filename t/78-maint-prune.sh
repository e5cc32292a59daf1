#!/bin/sh
# t/78-maint-prune.sh -- the prune worker of cairnd, scenario by scenario
# through the real daemon: each leaves exactly the expected files, every
# deletion is audited (artifact-pruned) and gone from the catalog, and a
# plan that looks wrong deletes nothing.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
plan 25

mkdb "$T/a.db" 300
q()
{
	sqlite3 "$T/bk/catalog.db" "$1"
}

# Job a backs up for real; job b's source is gone, so b gets no new
# artifact and its folder holds only what a scenario puts there.
mkconf()	# KEEP_MIN
{
	conf_head "$T/c.conf" "sqlite a { path = \"$T/a.db\" }" \
	    "sqlite b { path = \"$T/gone.db\"
		retries = 0 }" \
	    "retention { keep_min = $1 }"
}

NOW=$(date +%s)
when()		# N days ago (negative: in the future) -> seconds
{
	echo $((NOW - $1 * 86400))
}
stamp()		# N days ago -> YYYYMMDD_HHMMSS (UTC)
{
	date -u -d "@$(when "$1")" +%Y%m%d_%H%M%S
}

# A fresh backup folder with a's real, verified artifact $R; then b's
# artifacts, copies of it recorded in the catalog like real ones:
# "DAYS:ok" verifies, "DAYS:bad" (a flipped byte) fails verification;
# DAYS ago, negative for the future.
setup()
{
	rm -rf "$T/bk"
	"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
	R=$(cd "$T/bk/a" && ls a_backup_*.db.gz)
	rid=$(q "SELECT id FROM artifacts WHERE path = 'a/$R'")
	for spec in "$@"; do
		when=${spec%:*}
		n=b_backup_$(stamp "$when").db.gz
		cp "$T/bk/a/$R" "$T/bk/b/$n"
		if [ "${spec#*:}" = bad ]; then
			printf 'X' | dd of="$T/bk/b/$n" bs=1 seek=20 \
			    conv=notrunc 2>/dev/null
		fi
		q "INSERT INTO artifacts (job, kind, path, started, finished,
		    raw_bytes, stored_bytes, sha256, status, recorded)
		    SELECT 'b', kind, 'b/$n', $(when "$when"),
		    $(when "$when"), raw_bytes, stored_bytes, sha256,
		    'unverified', recorded FROM artifacts WHERE id = $rid;
		    INSERT INTO artifact_tables SELECT last_insert_rowid(),
		    name, rows, checksum FROM artifact_tables
		    WHERE artifact_id = $rid;"
	done
	sleep 1		# the next backup of a gets another name
}

# Runs a cycle; checks b's folder holds exactly the files of the given
# ages, and that each other one was pruned: audited and not in the catalog.
expect()	# WHAT WHEN...
{
	_what=$1
	shift
	before=$(cd "$T/bk/b" && ls b_backup_* | sort)
	BACKUP_RETENTION_DAYS=${DAYS:-7} "$CAIRND" -o -f "$T/c.conf" \
	    > "$T/daemon.log" 2>&1
	want=$(for w in "$@"; do echo "b_backup_$(stamp "$w").db.gz"; done |
	    sort)
	have=$(cd "$T/bk/b" && ls b_backup_* 2>/dev/null | sort)
	is "$(echo $have)" "$(echo $want)" "$_what: the files left" ||
	    show_log
	_bad=0
	for f in $before; do
		if echo "$want" | grep -qx "$f"; then
			audit_has artifact-pruned "\"artifact\":\"$f\"" &&
			    _bad=1
			[ "$(q "SELECT count(*) FROM artifacts
			    WHERE path = 'b/$f'")" = 1 ] || _bad=1
		else
			audit_has artifact-pruned "\"artifact\":\"$f\"" ||
			    _bad=1
			[ "$(q "SELECT count(*) FROM artifacts
			    WHERE path = 'b/$f'")" = 0 ] || _bad=1
		fi
	done
	ok $_bad "$_what: each deletion audited and gone from the catalog," \
	    "nothing else" || grep -E 'pruned|prune-' "$T/bk/audit.log" |
	    sed 's/^/# /'
	is "$(artifacts a)" 2 "$_what: a's two fresh artifacts kept"
}

mkconf 1
setup "1:ok" "2:ok" "3:bad"
expect "fresh artifacts" "1" "2" "3"

setup "10:ok" "11:ok" "12:bad" "13:ok"
expect "all older than days" "10"
audit_has artifact-pruned '"reason":"expired"'
ok $? "the plan's reason is in the audit trail"

setup "10:bad" "11:bad" "12:bad"
expect "all old, none verified" "10" "11" "12"
audit_has prune-warning 'every artifact is expired'
ok $? "the all-deleted hold is audited as a warning"

setup "10:ok" "11:ok" "-2:ok"
expect "clock set back (an artifact dated in the future)" \
    "10" "11" "-2"
audit_has prune-held 'clock'
ok $? "the held plan is audited"

mkconf 5
setup "10:ok" "11:ok" "12:ok" "40:bad"
expect "keep_min larger than what exists" \
    "10" "11" "12"

mkconf 1
setup "2:ok" "5:ok"
DAYS=3 expect "BACKUP_RETENTION_DAYS=3" "2"

# --- a running worker's partial file ---------------------------------------
if [ "$FAULTS" != yes ]; then
	skip 4 "needs --enable-fault-injection (a worker kept running)"
	exit 0
fi
rm -rf "$T/bk"
mkdb "$T/s.db" 10
conf_head "$T/d.conf" "sqlite s { path = \"$T/s.db\" }"
CAIRN_FAULT=s=slow@0 start_daemon "$T/d.conf"
wait_for 10 sh -c "ls -A '$T/bk/s' | grep -q partial"
running=$(ls -A "$T/bk/s" | grep partial)
old=$(date -d '2 hours ago' '+%Y%m%d%H%M')
touch -t "$old" "$T/bk/s/$running"
: > "$T/bk/s/.s_backup_20200101_000000.db.gz.partial"
: > "$T/bk/s/.cairn-verify.AbC123"
: > "$T/bk/s/.s_backup_20200102_000000.db.gz.partial"
touch -t "$old" "$T/bk/s/.s_backup_20200101_000000.db.gz.partial" \
    "$T/bk/s/.cairn-verify.AbC123"
# a job added by reload runs now; after it is verified, prune runs while
# s is still being written
conf_head "$T/d.conf" "sqlite s { path = \"$T/s.db\" }" \
    "sqlite a { path = \"$T/a.db\" }"
kill -HUP "$DPID"
wait_for 20 audit_has partial-removed '"file":".cairn-verify.AbC123"'
ok $? "the old verify copy of s was removed by the pruner" || show_log
[ -f "$T/bk/s/$running" ] && kill -0 "$DPID"
ok $? "the running worker's partial file was left alone (s still running)"
[ ! -e "$T/bk/s/.s_backup_20200101_000000.db.gz.partial" ]
ok $? "an old partial of no running worker was removed"
[ -f "$T/bk/s/.s_backup_20200102_000000.db.gz.partial" ] &&
    audit_has partial-removed '"reason":"stale temp file"'
ok $? "a recent one was kept; removals audited with the plan's reason"
