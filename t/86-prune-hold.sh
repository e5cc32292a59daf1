#!/bin/sh
# t/86-prune-hold.sh -- holds and losses are said, per job (issue 16,
# item 5 and nits):
#  - an artifact of job b dated in the future holds pruning of b only: a's
#    expired artifact is pruned, b's is kept; health fails naming b and the
#    file; status, --json status, the metrics file and the audit trail
#    (prune-held) show the hold; it clears (prune-resumed) once the file
#    is gone;
#  - a future-dated file that failed verification holds nothing;
#  - an artifact deleted from disk is reported missing (66, catalog
#    status missing, artifact-missing), not as an integrity failure;
#  - a run blocked by a leftover .partial names the .partial.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
plan 24

S=$T/run/cairnd.sock
ctl()
{
	"$CAIRNCTL" -s "$S" "$@"
}
q()
{
	sqlite3 "$T/bk/catalog.db" "$1"
}
settled()
{
	_o=$(ctl status) || return 1
	echo "$_o" | grep -q '^a  *sqlite  *idle  *[0-9]' || return 1
	echo "$_o" | grep -q '^b  *sqlite  *idle  *[0-9]' || return 1
	[ "$(q "SELECT count(*) FROM artifacts WHERE status = 'unverified'")" = 0 ]
}
# a copy of JOB's artifact under NAME, recorded with STATUS and the
# name's time, like one a backup run made
record()
{
	_src=$(cd "$T/bk/$1" && ls "$1"_backup_*.db.gz | head -n 1)
	cp "$T/bk/$1/$_src" "$T/bk/$1/$2"
	_t=$(echo "$2" | sed 's/.*_backup_\([0-9]\{8\}\)_\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\).*/\1 \2:\3:\4/')
	_t=$(date -u -d "$_t" +%s)
	q "INSERT INTO artifacts (job, kind, path, started, finished, raw_bytes,
	    stored_bytes, sha256, status, verified_at, recorded)
	    SELECT job, kind, '$1/$2', $_t, $_t, raw_bytes, stored_bytes,
	    sha256, '$3', verified_at, recorded
	    FROM artifacts WHERE path = '$1/$_src';"
}
stamp()
{
	date -u -d "@$1" +%Y%m%d_%H%M%S
}
now=$(date +%s)
OLD=$(stamp $((now - 30 * 86400)))
FUT=$(stamp $((now + 400 * 86400)))

mkdb "$T/a.db" 20
mkdb "$T/b.db" 30
conf_head "$T/c.conf" "metrics_file = \"$T/cairn.prom\"" \
    'defaults { schedule = "0 0 1 1 *"
	retries = 0 }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *"
	keep_min = 1 }' \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }"
start_daemon "$T/c.conf"
wait_for 60 settled
ok $? "the start-up backups of a and b are done and verified" || show_log

# --- item 5: a future-dated artifact holds its own job -----------------------
record a "a_backup_$OLD.db.gz" ok
record b "b_backup_$OLD.db.gz" ok
record b "b_backup_$FUT.db.gz" ok
# a planted future file in a's folder, which failed verification
record a "a_backup_$FUT.db.gz" failed-verify
out=$(ctl prune --wait 2>&1)
is $? 0 "prune --wait exits 0: the jobs that are not held are pruned"
[ ! -e "$T/bk/a/a_backup_$OLD.db.gz" ]
ok $? "a's expired artifact is removed (its failed future file holds nothing)"
[ -e "$T/bk/b/b_backup_$OLD.db.gz" ]
ok $? "b's expired artifact is kept: b is held"
out=$(ctl health 2>&1)
is $? 1 "health exits 1 while b is held"
like "$out" "^b: pruning held: clock looks wrong: b_backup_$FUT.db.gz is dated in the future" \
    "and names b and the file"
like "$out" "^a: ok" "a is healthy"
out=$(ctl status 2>&1)
like "$out" "^b +sqlite .* held unhealthy" "status flags b held"
like "$out" "pruning held: clock looks wrong: b_backup_$FUT" \
    "and says why"
ctl --json status > "$T/st.json"
is "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % (j["name"], j["prune_hold"] is not None) for j in d["jobs"]))' "$T/st.json")" \
    "a=False b=True" "--json status has prune_hold for b only"
grep -q '^cairn_prune_held{job="b",kind="sqlite"} 1$' "$T/cairn.prom" &&
    grep -q '^cairn_prune_held{job="a",kind="sqlite"} 0$' "$T/cairn.prom"
ok $? "the metrics file has cairn_prune_held 1 for b, 0 for a"
is "$(audit_count prune-held '"job":"b"')" 1 "prune-held is audited for b"
is "$(audit_count prune-held '"job":"a"')" 0 "and not for a"

# the file goes: the hold clears
rm "$T/bk/b/b_backup_$FUT.db.gz"
q "DELETE FROM artifacts WHERE path = 'b/b_backup_$FUT.db.gz'"
out=$(ctl prune --wait 2>&1)
is $? 0 "prune --wait exits 0 once the file is gone"
[ ! -e "$T/bk/b/b_backup_$OLD.db.gz" ]
ok $? "b's expired artifact is removed now"
is "$(audit_count prune-resumed '"job":"b"')" 1 "prune-resumed is audited"
ctl health >/dev/null 2>&1
is $? 0 "health exits 0 again"

# --- nit: a missing artifact is missing, not damaged ------------------------
R=$(cd "$T/bk/a" && ls a_backup_*.db.gz | grep -v "$FUT" | head -n 1)
rm "$T/bk/a/$R"
out=$(ctl verify "a/$R" --wait 2>&1)
is $? 66 "verify of an artifact deleted from disk exits 66"
like "$out" "a/$R: missing" "and says it is missing"
is "$(q "SELECT status FROM artifacts WHERE path = 'a/$R'")" missing \
    "the catalog marks it missing"
is "$(audit_count artifact-verify-failed "\"artifact\":\"$R\"")" 0 \
    "no artifact-verify-failed (it is not an integrity failure)"
audit_has artifact-missing "\"artifact\":\"a/$R\""
ok $? "artifact-missing is audited"

# --- nit: a leftover .partial is named ---------------------------------------
# the run's name is the second it starts: cover the next few
t=$(date +%s)
for d in 0 1 2 3 4 5 6 7 8 9; do
	: > "$T/bk/a/.a_backup_$(stamp $((t + d))).db.gz.partial"
done
out=$(ctl run a --wait 2>&1)
isnt $? 0 "a run whose .partial exists fails"
like "$out" "\.a_backup_[0-9_]*\.db\.gz\.partial: File exists" \
    "and names the .partial, not the artifact"
tap_done
