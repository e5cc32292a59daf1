#!/bin/sh
# t/81-cairnctl.sh -- cairnctl's offline commands on a backup folder built
# here with the real writer, catalog and audit trail: list (catalog and
# plain files), audit and audit --verify, restore of a SQLite artifact
# (compared with .dump) and of a MySQL dump into a real server (compared
# with CHECKSUM TABLE); and the daemon commands without a daemon.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/mariadb.sh"

ctl=$CAIRNCTL
helper=$top_builddir/t/ctl-helper
[ -x "$ctl" ] || bail "$ctl not built"
[ -x "$helper" ] || bail "$helper not built"
command -v sqlite3 >/dev/null 2>&1 || skip_all "no sqlite3 shell"

plan 38
tap_tmpdir
T=$TAP_TMP
B=$T/backups
mkdir "$B"

# -- a SQLite artifact -----------------------------------------------------
sqlite3 "$T/notes.db" "CREATE TABLE note(id INTEGER PRIMARY KEY, body TEXT,
    blob BLOB); INSERT INTO note(body, blob) VALUES ('first', x'00ff10'),
    ('it''s \"quoted\"', NULL); CREATE INDEX note_body ON note(body);
    CREATE VIEW v AS SELECT id FROM note;" || bail "sqlite3"
a=$("$helper" add "$B" notes sqlite 20260102_030405 <"$T/notes.db")
is "$a" "notes/notes_backup_20260102_030405.db.gz" "the writer made an artifact"

# -- list -------------------------------------------------------------------
out=$("$ctl" -d "$B" list)
ok $? "list on a backup folder without a daemon"
like "$out" "^notes/notes_backup_20260102_030405\.db\.gz +2026-01-02T03:04:05Z .* unverified" \
    "list shows the artifact from the catalog"
out=$("$ctl" -d "$B" --json list notes)
like "$out" '"source":"catalog","artifacts":\[\{"path":"notes/notes_backup_20260102_030405.db.gz","job":"notes","kind":"sqlite"' \
    "list --json"
out=$("$ctl" -d "$B" list nosuch)
is "$out" "no artifacts for nosuch" "list of a job without artifacts"
mkdir -p "$T/nocat/shop"
: >"$T/nocat/shop/shop_backup_20260101_000000.sql.gz"
: >"$T/nocat/shop/shop_backup_20260102_000000.sql.gz"
: >"$T/nocat/shop/unrelated.txt"
out=$("$ctl" -d "$T/nocat" list 2>"$T/err")
like "$out" "shop/shop_backup_20260102_000000.sql.gz" "without a catalog, list scans the folder"
is "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)" \
    "shop/shop_backup_20260102_000000.sql.gz" "newest first"
like "$(cat "$T/err")" "no catalog, listing the files" "and says it has no catalog"
"$ctl" -d "$T/missing" list 2>/dev/null
is $? 66 "list of a folder that does not exist: 66"

# -- restore SQLite -----------------------------------------------------------
out=$("$ctl" -d "$B" restore "$a" --to "$T/restored.db")
ok $? "restore of a SQLite artifact"
like "$out" "integrity ok, checksum matches the catalog" "after checking it"
is "$(sqlite3 "$T/restored.db" .dump)" "$(sqlite3 "$T/notes.db" .dump)" \
    "the restored database dumps like the original"
"$ctl" -d "$B" restore "$a" --to "$T/restored.db" 2>"$T/err"
is $? 73 "an existing file is not overwritten (73)"
like "$(cat "$T/err")" "exists; use --force" "and the message says how"
sqlite3 "$T/restored.db" "INSERT INTO note(body) VALUES ('later')"
"$ctl" -d "$B" restore "$a" --to "$T/restored.db" --force >/dev/null
ok $? "--force replaces it"
is "$(sqlite3 "$T/restored.db" 'SELECT count(*) FROM note')" 2 \
    "with the artifact's contents"
ls -a "$T" | grep -q cairn-restore
nok $? "no temporary file is left next to the target"
"$ctl" -d "$B" restore "$a" 2>/dev/null
is $? 64 "a SQLite restore without --to is a usage error"

# a damaged copy (one byte changed) and a failed verification
cp "$B/$a" "$T/bad.gz"
mkdir -p "$T/bad/notes"
printf '\377' | dd of="$T/bad.gz" bs=1 seek=40 conv=notrunc 2>/dev/null
cp "$T/bad.gz" "$T/bad/notes/notes_backup_20260102_030405.db.gz"
"$ctl" -d "$T/bad" restore notes/notes_backup_20260102_030405.db.gz \
    --to "$T/bad.db" 2>"$T/err"
is $? 93 "a corrupt gzip stream is refused (93)"
[ ! -e "$T/bad.db" ]
ok $? "and nothing is written"
cp "$B/$a" "$T/b2.gz"
"$helper" verified "$B" "$a" failed
"$ctl" -d "$B" restore "$a" --to "$T/r2.db" 2>"$T/err"
is $? 93 "an artifact that failed verification is refused"
like "$(cat "$T/err")" "failed its last verification.*--force" "and --force is named"
"$ctl" -d "$B" restore "$a" --to "$T/r2.db" --force 2>/dev/null >/dev/null
ok $? "--force restores it anyway"

# -- audit --------------------------------------------------------------------
"$helper" audit "$B/audit.log" 5
out=$("$ctl" -d "$B" audit -n 2)
like "$out" "^ +5 [0-9T:-]+Z job_started job=shop gen=5$" "audit shows the last lines"
is "$(printf '%s\n' "$out" | wc -l)" 2 "-n limits them"
out=$("$ctl" -d "$B" audit --verify)
ok $? "audit --verify on an intact trail exits 0"
like "$out" "intact: 5 lines, last seq 5" "and says so"
sed 's/"gen":3/"gen":4/' "$B/audit.log" >"$T/tampered.log"
out=$("$ctl" audit --verify --file "$T/tampered.log")
is $? 93 "a tampered trail: exit 93"
like "$out" "BROKEN at line 3" "with the line"
out=$("$ctl" --json audit --verify --file "$T/tampered.log")
like "$out" '"intact":false,.*"bad_line":3' "audit --verify --json"

# an incomplete cairn dump (no completion marker) is refused before any
# server is contacted
printf -- '-- cairn dump format 1\nCREATE DATABASE IF NOT EXISTS `x`;\nUSE `x`;\n' |
    "$helper" add "$B" cut mysql 20260103_000000 >/dev/null
"$ctl" -d "$B" restore cut/cut_backup_20260103_000000.sql.gz \
    --client /bin/true --socket "$T/nosuch.sock" 2>"$T/err"
is $? 93 "an incomplete MySQL dump is refused (93)"
like "$(cat "$T/err")" "no completion marker" "because its completion marker is missing"

# -- the daemon commands without a daemon ---------------------------------
"$ctl" -s "$T/none.sock" status 2>"$T/err"
is $? 69 "status without a daemon: 69"
like "$(cat "$T/err")" "cairnd is not running" "with a clear message"
"$ctl" -s "$T/none.sock" health 2>/dev/null
is $? 1 "health without a daemon: 1 (unhealthy, for docker)"

# -- restore MySQL --------------------------------------------------------
if ! mariadb_available; then
	skip 3 "no MariaDB server installed"
	tap_done
fi
mariadb_start || bail "cannot start a MariaDB server"
mdb -e "CREATE DATABASE shop; USE shop;
    CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), data BLOB,
        price DECIMAL(8,2));
    INSERT INTO item VALUES (1, 'bolt', 0x00ff, 1.50), (2, 'nut''s', NULL, 0.25),
        (3, 'line\\nbreak', 0x0a0d, 3.00);
    CREATE TABLE tag (item INT, tag VARCHAR(10));
    INSERT INTO tag VALUES (1, 'x'), (1, 'y'), (3, 'z');" || bail "mariadb setup"
sums() { mdb -N -e "CHECKSUM TABLE $1.item, $1.tag" | cut -f2 | tr '\n' ' '; }
want=$(sums shop)
{
	echo "-- cairn dump format 1"
	"$MARIADB_CLIENT_BIN"-dump --no-defaults -uroot --socket="$MARIADB_SOCK" \
	    --databases shop --skip-dump-date 2>/dev/null ||
	    mariadb-dump --no-defaults -uroot --socket="$MARIADB_SOCK" \
	    --databases shop --skip-dump-date
	echo "-- cairn dump completed 2026-01-02T03:04:10Z"
} >"$T/shop.sql"
m=$("$helper" add "$B" shop mysql 20260102_030405 <"$T/shop.sql")
mariadb_create_user alice "pa\"ss'w\\rd"
printf '%s\n' "pa\"ss'w\\rd" >"$T/pw"
"$ctl" -d "$B" restore "$m" --host 127.0.0.1 --port "$MARIADB_PORT" \
    --user alice --password-file "$T/pw" --database shop_copy >/dev/null
ok $? "restore of a MySQL dump into another database, by TCP with a password file"
is "$(sums shop_copy)" "$want" "CHECKSUM TABLE of the copy equals the original"
mdb -e "DROP DATABASE shop"
"$ctl" -d "$B" restore "$m" --socket "$MARIADB_SOCK" --user root >/dev/null &&
    [ "$(sums shop)" = "$want" ]
ok $? "restore under its own name over the socket, checksums equal"
tap_done
