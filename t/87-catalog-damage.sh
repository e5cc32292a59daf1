#!/bin/sh
# t/87-catalog-damage.sh -- a damaged catalog fails closed, loudly, and can
# be rebuilt from the folder (issue 16, item 4):
#  - the artifacts table's root page overwritten with random bytes (real
#    file damage): cairnd starts, health exits 1 naming the quick_check
#    failure and the artifact files the catalog does not know, status and
#    the metrics say so, catalog-damaged is audited, verify --all and
#    prune refuse instead of answering "nothing to do";
#  - cairnctl catalog-rebuild refuses while cairnd runs, then makes a new
#    catalog (old one kept aside) with every artifact re-hashed and its
#    row counts re-read, unverified; cairnd verifies them and is healthy.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
[ -x "${CAIRNCTL:-}" ] || bail "CAIRNCTL is not set to the built cairnctl"
plan 26

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
	# idle; LAST RUN is a backup run's (verify runs are verify:JOB), so
	# it may be "-" when only verification ran since the start
	echo "$_o" | grep -q '^a  *sqlite  *idle  *[-0-9]' || return 1
	echo "$_o" | grep -q '^b  *sqlite  *idle  *[-0-9]' || return 1
	[ "$(q "SELECT count(*) FROM artifacts WHERE status = 'unverified'")" = 0 ]
}
answers()
{
	ctl status >/dev/null 2>&1
}
# a clean stop: the WAL is checkpointed into catalog.db
stop_clean()
{
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

mkdb "$T/a.db" 20
mkdb "$T/b.db" 30
conf_head "$T/c.conf" "metrics_file = \"$T/cairn.prom\"" \
    'defaults { schedule = "0 0 1 1 *" }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }"
# restarts make no new artifacts: the counts below stay exact
conf_head "$T/c2.conf" "metrics_file = \"$T/cairn.prom\"" \
    'defaults { schedule = "0 0 1 1 *"
	run_at_start = false }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }"
start_daemon "$T/c.conf"
wait_for 60 settled
ok $? "the start-up backups are done and verified" || show_log
A=$(cd "$T/bk/a" && ls a_backup_*.db.gz)
B=$(cd "$T/bk/b" && ls b_backup_*.db.gz)
stop_clean
[ ! -e "$T/bk/catalog.db-wal" ] || sqlite3 "$T/bk/catalog.db" \
    'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null

# --- real damage: the artifacts table's root page --------------------------
ps=$(q 'PRAGMA page_size')
root=$(q "SELECT rootpage FROM sqlite_master WHERE name = 'artifacts'")
dd if=/dev/urandom of="$T/bk/catalog.db" bs="$ps" seek=$((root - 1)) \
    count=1 conv=notrunc 2>/dev/null
start_daemon "$T/c2.conf"
wait_for 30 answers
ok $? "cairnd starts on a damaged catalog (its backups still run)" ||
    show_log
out=$(ctl health 2>&1)
is $? 1 "health exits 1"
like "$out" "^catalog: quick_check: " "and names the quick_check failure"
like "$out" "2 artifact files on disk not in the catalog" \
    "and the artifact files the catalog does not know"
like "$(ctl status 2>&1)" "^catalog: quick_check: " "status says it too"
out=$(ctl verify --all --wait 2>&1)
is $? 70 "verify --all fails (70), not \"nothing to verify\""
like "$out" "the catalog cannot be trusted" "and says why"
out=$(ctl prune --wait 2>&1)
isnt $? 0 "prune fails: nothing is deleted on a damaged catalog's word"
audit_has catalog-damaged '"reason":"quick_check: .*","unknown_files":2'
ok $? "catalog-damaged is audited"
grep -q '^cairn_catalog_ok 0$' "$T/cairn.prom"
ok $? "the metrics say cairn_catalog_ok 0"

# --- rebuild -----------------------------------------------------------------
"$CAIRNCTL" -d "$T/bk" catalog-rebuild > "$T/rb.out" 2>&1
is $? 75 "catalog-rebuild refuses while cairnd runs"
like "$(cat "$T/rb.out")" "stop cairnd first" "and says so"
stop_clean
"$CAIRNCTL" -d "$T/bk" catalog-rebuild > "$T/rb.out" 2>&1
is $? 0 "catalog-rebuild exits 0 with cairnd stopped" ||
    sed 's/^/#   /' "$T/rb.out" >&2
like "$(cat "$T/rb.out")" "catalog rebuilt: 2 artifacts recorded, unverified" \
    "it recorded both artifacts"
ls "$T/bk"/catalog.db.damaged-* >/dev/null 2>&1
ok $? "the damaged catalog is kept aside"
is "$(q "SELECT status || ' ' || sha256 FROM artifacts WHERE path = 'a/$A'")" \
    "unverified $(sha256sum "$T/bk/a/$A" | cut -d' ' -f1)" \
    "a's artifact: unverified, its SHA-256 re-hashed from the file"
is "$(q "SELECT rows FROM artifact_tables JOIN artifacts ON id = artifact_id
    WHERE path = 'b/$B' AND name = 't'")" 30 \
    "b's row count re-read from the file (30)"
start_daemon "$T/c2.conf"
wait_for 120 settled
ok $? "cairnd verifies the rebuilt catalog's artifacts" || show_log
is "$(q "SELECT group_concat(status) FROM artifacts WHERE path IN
    ('a/$A', 'b/$B')")" "ok,ok" "both pass verification"
ctl health >/dev/null 2>&1
is $? 0 "health exits 0 on the rebuilt catalog"
stop_clean

# --- a read-only catalog -------------------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip 5 "needs root and the user nobody"
	tap_done
	exit 0
fi
chmod 755 "$T"
conf_head "$T/ro.conf" 'user = "nobody"' \
    'defaults { schedule = "0 0 1 1 *"
	run_at_start = false }' \
    'verify { schedule = "0 0 1 1 *" }' \
    'retention { schedule = "0 0 1 1 *" }' \
    "sqlite a { path = \"$T/a.db\" }"
# its own folder, which cairnd creates for nobody
sed -i "s|^backup_dir = .*|backup_dir = \"$T/ro\"|" "$T/ro.conf"
start_daemon "$T/ro.conf"
wait_for 30 answers || show_log
stop_clean
chmod 0444 "$T/ro/catalog.db"
start_daemon "$T/ro.conf"
wait_for 30 answers
ok $? "cairnd starts on a read-only catalog" || show_log
out=$(ctl health 2>&1)
is $? 1 "health exits 1"
like "$out" "^catalog: read-only: the catalog cannot be written" \
    "and says the catalog cannot be written"
ctl run a --wait >/dev/null 2>&1
is $? 0 "a run still backs up (the file is on disk)"
like "$(ctl health 2>&1)" "1 artifact file on disk not in the catalog" \
    "and health counts the artifact the catalog could not record"
stop_clean
tap_done
