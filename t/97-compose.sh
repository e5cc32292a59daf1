#!/bin/sh
# t/97-compose.sh -- docker/docker-compose.yaml end to end, with podman and
# podman-compose: the cairn image is built from docker/Dockerfile, the
# shipped compose file runs unchanged but for one override that puts a
# locally built MariaDB stand-in (t/containers/mariadb.Dockerfile) in place
# of the registry's mariadb image, since no registry is reachable here.
# Both backups are restored and compared, the catalog and audit trail
# survive a restart, the daemon runs as cairn, the HEALTHCHECK turns
# unhealthy when a run fails, and `down` leaves nothing behind.
# Skipped where podman, podman-compose or root are missing (t/lib/podman.sh).
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/podman.sh"

# make distcheck's copy is read-only: the main suite ran this already
[ -w "$top_srcdir" ] || skip_all "read-only source tree (make distcheck)"
command -v podman-compose >/dev/null 2>&1 ||
    skip_all "podman-compose not installed (scripts/install-deps installs it)"
podman_setup
# compose's service names (db) resolve only through CNI's dnsname plugin
[ "$(podman info -f '{{.Host.NetworkBackend}}')" != cni ] ||
    [ -x /usr/lib/cni/dnsname ] ||
    skip_all "no CNI dnsname plugin: service names would not resolve (scripts/install-deps installs golang-github-containernetworking-plugin-dnsname)"
tap_tmpdir
T=$TAP_TMP
plan 31

# the images: cairn's as the README builds it (podman's layer cache makes
# an unchanged tree cheap), the MariaDB stand-in cached by content
s=$(date +%s)
podman build --format docker --network=host -f "$top_srcdir/docker/Dockerfile" \
    -t localhost/cairn:latest "$top_srcdir" >"$T/build.log" 2>&1 ||
    { tail -n 30 "$T/build.log" >&2; bail "podman build docker/Dockerfile failed"; }
diag "cairn image built in $(($(date +%s) - s)) s"
C=$top_srcdir/t/containers
db_image=$(podman_image localhost/cairn-mariadb-test "$C/mariadb.Dockerfile" \
    "$C" "$C/mariadb-entrypoint.sh" "$C/mariadb-healthcheck.sh")

# the shipped docker/ folder, copied so that the secrets docker/setup
# makes stay out of the source tree; the override swaps the db image only
P=cairn-compose-$$
cp -R "$top_srcdir/docker" "$T/docker"
rm -rf "$T/docker/secrets"
chmod -R u+w "$T/docker"
cat > "$T/docker/test-override.yaml" <<EOF
services:
  db:
    image: $db_image
EOF
pc() { podman-compose -p "$P" -f "$T/docker/docker-compose.yaml" \
    -f "$T/docker/test-override.yaml" "$@"; }
# every volume the project's containers mount, named or anonymous (app
# gets one for the image's VOLUME /backups), recorded after up
vols() { cat "$T/volumes" 2>/dev/null; podman volume ls -q | grep "^${P}_"; }
leftovers()
{
	podman ps -a -q --filter "label=io.podman.compose.project=$P"
	podman pod ps -q --filter "name=$P"
	vols | sort -u | while read -r v; do
		podman volume exists "$v" && echo "volume $v"; done
	podman network ls -q | grep "^${P}_"
}
# what podman-compose 1.0.3's `down -v` leaves: the project's network and
# the anonymous volumes
down_rest()
{
	vols | sort -u | while read -r v; do
		podman volume exists "$v" && podman volume rm -f "$v"; done
	podman network ls -q | grep "^${P}_" | xargs -r podman network rm -f
}
cleanup()
{
	pc down -v -t 5 >/dev/null 2>&1
	podman ps -a -q --filter "label=io.podman.compose.project=$P" |
	    xargs -r podman rm -f -t 0 >/dev/null 2>&1
	down_rest >/dev/null 2>&1
}
at_exit cleanup
# ok, and on failure run a command showing why (ok's status is always 0)
ok_or() { _st=$1 _d=$2; shift 2; ok "$_st" "$_d"; [ "$_st" -eq 0 ] ||
    eval "$*" >&2; return "$_st"; }

"$T/docker/setup" >/dev/null
ok $? "docker/setup makes the secrets"
s=$(date +%s)
pc up -d >"$T/up.log" 2>&1
DB=${P}_db_1 APP=${P}_app_1 CAIRN=${P}_cairn_1
podman ps -a -q --filter "label=io.podman.compose.project=$P" |
    xargs -r podman inspect -f \
    '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\n"}}{{end}}{{end}}' \
    > "$T/volumes"
# podman-compose 1.0.3 returns 0 even when a container fails: look
states=$(for c in $DB $APP $CAIRN; do
	podman inspect -f '{{.State.Status}}' "$c" 2>&1; done | tr '\n' ' ')
is "$states" "running running running " "up -d: db, app and cairn are running"
if [ "$states" != "running running running " ]; then
	grep -E '^Error: |^exit code: [1-9]' "$T/up.log" | tail -n 6 >&2
	bail "the compose project did not start"
fi
is "$(podman inspect -f '{{.ImageName}}' "$CAIRN")" "localhost/cairn:latest" \
    "the cairn service runs the image built from docker/Dockerfile"

in_c() { podman exec "$CAIRN" sh -c "$*" </dev/null; }
until_ok()	# SECS COMMAND: until COMMAND (on the host) succeeds
{
	_end=$(($(date +%s) + $1))
	until sh -c "$2" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 1
	done
}
until_ok 180 "podman healthcheck run $DB"
ok_or $? "the MariaDB stand-in turns healthy (healthcheck.sh --connect --innodb_initialized)" \
    'podman logs "$DB" 2>&1 | tail -n 20' || bail "MariaDB did not start"
diag "up and healthy in $(($(date +%s) - s)) s"

# the initdb script made the backup account; the app's account owns app
root_pw=$(cat "$T/docker/secrets/mysql_root_password")
app_pw=$(cat "$T/docker/secrets/mysql_app_password")
sql() { podman exec -i "$DB" mariadb -uroot -p"$root_pw" -N -B; }
is "$(echo "SHOW GRANTS FOR 'backup'@'%'" | sql | sed -n 1p |
    sed 's/ IDENTIFIED BY.*//')" \
    "GRANT SELECT, RELOAD, PROCESS, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON *.* TO \`backup\`@\`%\`" \
    "docker/initdb made the least-privilege backup account"
podman exec -i "$DB" mariadb -uapp -p"$app_pw" app <<'SQL'
CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer VARCHAR(40),
    note TEXT, total DECIMAL(10,2), placed DATETIME, blobby BLOB) ENGINE=InnoDB;
CREATE TABLE tags (id INT PRIMARY KEY, name VARCHAR(20) CHARACTER SET utf8mb4)
    ENGINE=InnoDB;
INSERT INTO orders (customer, note, total, placed, blobby)
    SELECT CONCAT('c', seq), IF(seq % 7 = 0, NULL, REPEAT('x''y\\z', seq % 5)),
        seq * 1.25, '2026-12-05 10:00:00' + INTERVAL seq MINUTE,
        UNHEX(SHA2(seq, 256))
    FROM seq_1_to_2000;
INSERT INTO tags VALUES (1, 'café'), (2, 'ütf8 ✓'), (3, '');
SQL
ok $? "the application's tables are filled (as MARIADB_USER)"

# the first runs (run_at_start)
until_ok 180 "podman exec $CAIRN sh -c 'ls /backups/app/app_backup_*.sql.gz &&
    ls /backups/sessions/sessions_backup_*.db.gz'"
ok_or $? "both first backups are in the volume (.sql.gz, .db.gz)" \
    'podman logs "$CAIRN" 2>&1 | tail -n 20'

# a restart keeps the catalog and the audit trail (done early: the image's
# HEALTHCHECK counts no failure in the 120 s start period after it)
until_ok 60 "! podman exec $CAIRN cairnctl status |
    grep -Eq '^[a-z]+ +[a-z]+ +(running|queued) '"
list_before=$(in_c 'cairnctl list')
audit_before=$(in_c 'cairnctl audit -n 0' | wc -l)
podman restart -t 60 "$CAIRN" >"$T/restart.log" 2>&1
restarted=$(date +%s)
until_ok 60 "podman exec $CAIRN cairnctl status"
ok_or $? "the cairn container restarts" 'cat "$T/restart.log"'
list_after=$(in_c 'cairnctl list')
missing=$(printf '%s\n' "$list_before" | while IFS= read -r l; do
	printf '%s\n' "$list_after" | grep -qxF "$l" || echo "$l"; done)
is "$missing" "" "the catalog still lists every artifact after the restart"
like "$list_after" "sessions_backup_" "(the SQLite ones too)"
in_c 'cairnctl audit --verify' >"$T/verify.out" 2>&1
ok_or $? "cairnctl audit --verify: the trail's hash chain is intact" \
    'cat "$T/verify.out"'
[ "$(in_c 'cairnctl audit -n 0' | wc -l)" -gt "$audit_before" ]
ok $? "and it went on from where it was (more events, same chain)"

# one more run of app, now that it has data
n=$(in_c 'ls /backups/app/ | grep -c "^app_backup_.*\.sql\.gz$"')
in_c 'cairnctl run app' >/dev/null
until_ok 120 "[ \"\$(podman exec $CAIRN sh -c 'ls /backups/app/' |
    grep -c '^app_backup_.*\.sql\.gz$')\" -gt $n ]"
ok $? "cairnctl run app makes a new dump"
until_ok 60 "podman exec $CAIRN cairnctl health"
ok $? "cairnctl health: every job is healthy"
podman healthcheck run "$CAIRN" >/dev/null 2>&1
ok $? "and so is the image's HEALTHCHECK"

# the MySQL dump restores (the stock tools: gunzip | mariadb) to the same
# checksums and row counts
dump=$(in_c 'ls -t /backups/app/app_backup_*.sql.gz | head -n 1')
podman cp "$CAIRN:$dump" "$T/app.sql.gz"
sums() { echo "CHECKSUM TABLE app.orders, app.tags EXTENDED;
    SELECT COUNT(*) FROM app.orders; SELECT COUNT(*) FROM app.tags;" | sql; }
before=$(sums)
echo "DROP DATABASE app" | sql
gunzip -c "$T/app.sql.gz" | sql
ok $? "the .sql.gz dump loads into MariaDB after DROP DATABASE"
is "$(sums)" "$before" "the restored tables have the same checksums and counts"
like "$before" "app.orders	[1-9]" "(and they are not empty)"

# the SQLite backup restores (cairnctl restore in the container) to the
# app's rows as of the backup (the app keeps inserting)
art=$(in_c 'ls -t /backups/sessions/sessions_backup_*.db.gz | head -n 1')
in_c "cairnctl restore sessions/${art##*/} --to /tmp/sessions.db" >/dev/null
ok $? "cairnctl restore of the .db.gz succeeds"
max=$(in_c 'sqlite3 /tmp/sessions.db "SELECT max(id) FROM sessions"')
like "$max" '^[1-9][0-9]*$' "the restored database has the app's rows"
is "$(in_c 'sqlite3 /tmp/sessions.db .schema; sqlite3 /tmp/sessions.db \
    "SELECT * FROM sessions ORDER BY id"' | sha256sum)" \
    "$(podman exec "$APP" sh -c "sqlite3 /data/app/sessions.db .schema;
    sqlite3 /data/app/sessions.db 'SELECT * FROM sessions WHERE id <= $max
    ORDER BY id'" | sha256sum)" \
    "and the same schema and rows as the app's database up to them"

# never root
is "$(podman image inspect -f '{{.Config.User}}' localhost/cairn:latest)" \
    cairn "the image's USER is cairn"
is "$(in_c "sed -n 's/^Uid:[[:space:]]*//p' /proc/1/status" | tr -s ' \t' ' ')" \
    "990 990 990 990" "cairnd (PID 1) runs as uid 990 (cairn)"
is "$(in_c 'stat -c "%U %a" /backups')" "cairn 755" \
    "the backups volume belongs to cairn"

# the HEALTHCHECK turns unhealthy when a run fails: MariaDB is stopped
podman stop -t 10 "$DB" >"$T/stop.log" 2>&1
in_c 'cairnctl run app' >/dev/null
until_ok 120 "! podman exec $CAIRN cairnctl health"
ok $? "cairnctl health fails once app's run failed"
in_c 'cairnctl audit --event job-failed --job app -n 1' >"$T/failed.out"
like "$(cat "$T/failed.out")" "job-failed" "the failure is in the audit trail"
# podman counts no failure in the image's --start-period=120s
wait=$((restarted + 125 - $(date +%s)))
if [ "$wait" -gt 0 ]; then
	diag "waiting $wait s for the HEALTHCHECK's start period to end"
	sleep "$wait"
fi
for _ in 1 2 3; do	# the Dockerfile's --retries=3
	podman healthcheck run "$CAIRN" >/dev/null 2>&1
done
is "$(podman inspect -f '{{.State.Health.Status}}' "$CAIRN")" unhealthy \
    "the container's health turns unhealthy"

size=$(podman image inspect -f '{{.Size}}' localhost/cairn:latest)
diag "cairn image: $((size / 1000000)) MB"
[ "$size" -lt 400000000 ]
ok $? "the image is under 400 MB ($((size / 1000000)) MB)"

pc down -v -t 10 >"$T/down.log" 2>&1
ok_or $? "down -v succeeds" 'cat "$T/down.log"'
down_rest >"$T/down-rest.log" 2>&1
ok_or $? "the network and anonymous volumes it leaves are removed" \
    'cat "$T/down-rest.log"'
is "$(leftovers)" "" "no container, pod, volume or network is left"

tap_done
