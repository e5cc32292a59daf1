#!/bin/sh
# t/84-ctl-maint.sh -- cairnctl verify and prune through the real cairnd:
# verify --all --wait marks every artifact verified, prune --dry-run only
# lists an expired artifact and prune --wait deletes it (audited), and a
# flipped byte makes verify ARTIFACT --wait fail with code 93, naming the
# failed check, with artifact-verify-failed in the audit trail.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
plan 22

S=$T/run/cairnd.sock
ctl()
{
	"$CAIRNCTL" -s "$S" "$@"
}
q()
{
	sqlite3 "$T/bk/catalog.db" "$1"
}
# a's start-up run is over and nothing of it is still verified or pruned
settled()
{
	ctl status | grep -q '^a  *sqlite  *idle  *[0-9]' || return 1
	[ "$(q "SELECT count(*) FROM artifacts WHERE status = 'unverified'")" = 0 ]
}
old=$(date -u -d "@$(($(date +%s) - 30 * 86400))" +%Y%m%d_%H%M%S)
O=a_backup_$old.db.gz

mkdb "$T/a.db" 200
# no cron fire during the test: only start-up and cairnctl start work
conf_head "$T/c.conf" 'defaults { schedule = "0 0 1 1 *" }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *"
	keep_min = 1 }' \
    "sqlite a { path = \"$T/a.db\" }"
start_daemon "$T/c.conf"
wait_for 30 settled
ok $? "the start-up backup of a is done and verified" || show_log
R=$(cd "$T/bk/a" && ls a_backup_*.db.gz)

# --- verify --all --------------------------------------------------------
out=$(ctl verify --all --wait 2>&1)
is $? 0 "verify --all --wait exits 0 when every artifact is good"
like "$out" "verified 1 artifact: 1 ok" "and says how many were verified"
q "UPDATE artifacts SET verified_at = 0, status = 'unverified'"
out=$(ctl verify --all --wait 2>&1)
is $? 0 "again, after the catalog forgot the verification"
is "$(q "SELECT status FROM artifacts WHERE verified_at > 0")" ok \
    "the catalog shows the artifact verified"
is "$(audit_count artifact-verified "\"artifact\":\"$R\"")" 3 \
    "each verification is audited (start-up and twice on request)"

# the end of each verify run lets a prune run: wait for the third
prunes()
{
	[ "$(grep -c 'prune (after backup)' "$T/daemon.log")" -ge 3 ]
}
wait_for 30 prunes
ok $? "a prune ran after the start-up cycle and after each verify run" ||
    show_log

# an artifact of 30 days ago, recorded like a real,
# verified one (added after verify --all: the end of a verify run lets
# the after-backup prune run, which would remove it)
cp "$T/bk/a/$R" "$T/bk/a/$O"
q "INSERT INTO artifacts (job, kind, path, started, finished, raw_bytes,
    stored_bytes, sha256, status, verified_at, recorded)
    SELECT job, kind, 'a/$O', started - 30 * 86400, finished - 30 * 86400,
    raw_bytes, stored_bytes, sha256, 'ok', verified_at, recorded
    FROM artifacts WHERE path = 'a/$R';
    INSERT INTO artifact_tables SELECT last_insert_rowid(), name, rows,
    checksum FROM artifact_tables WHERE artifact_id =
    (SELECT id FROM artifacts WHERE path = 'a/$R');"

# --- prune -----------------------------------------------------------------
out=$(ctl prune --dry-run 2>&1)
is $? 0 "prune --dry-run exits 0"
like "$out" "a/$O" "and lists the 30-day-old artifact"
[ -f "$T/bk/a/$O" ] && [ "$(audit_count artifact-pruned)" = 0 ]
ok $? "but deletes nothing"
out=$(ctl prune --wait 2>&1)
is $? 0 "prune --wait exits 0" || echo "# $out"
like "$out" "removed 1 file: 1 ok" "and says what it removed"
[ ! -e "$T/bk/a/$O" ] && [ -f "$T/bk/a/$R" ]
ok $? "the old artifact is gone, the new one kept"
is "$(audit_count artifact-pruned "\"artifact\":\"$O\"")" 1 \
    "its removal is audited as artifact-pruned"
is "$(q "SELECT count(*) FROM artifacts WHERE path = 'a/$O'")" 0 \
    "and its catalog row is gone"
out=$(ctl prune --wait 2>&1)
like "$out" "nothing to prune" "a second prune has nothing to do"

# --- a flipped byte --------------------------------------------------------
printf 'X' | dd of="$T/bk/a/$R" bs=1 seek=40 conv=notrunc 2>/dev/null
out=$(ctl verify "a/$R" --wait 2>&1)
is $? 93 "verify JOB/NAME --wait exits 93 for a damaged artifact"
like "$out" "a/$R: [a-z0-9_-]+ check failed" "naming the failed check"
is "$(audit_count artifact-verify-failed "\"artifact\":\"$R\"")" 1 \
    "the audit trail has artifact-verify-failed"
ctl verify "$R" --wait >/dev/null 2>&1
is $? 93 "the file name alone finds it too"
out=$(ctl verify a_backup_19990101_000000.db.gz 2>&1)
is $? 64 "an unknown artifact is a usage error"
out=$(ctl verify a 2>&1)
like "$out" "started" "without --wait the answer comes at once"
