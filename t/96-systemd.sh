#!/bin/sh
# t/96-systemd.sh -- cairnd as a system service, for real: systemd boots as
# PID 1 in a privileged podman container (Debian 12), cairn is installed
# there with the README's commands (`make install` of a --prefix=/usr
# build, systemd-sysusers, systemd-tmpfiles) and driven with systemctl.
# Skipped where podman is missing or not root (t/lib/podman.sh).
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/podman.sh"

# make distcheck's copy is read-only: the main suite ran this already
[ -w "$top_srcdir" ] || skip_all "read-only source tree (make distcheck)"
podman_setup
tap_tmpdir
T=$TAP_TMP
plan 24

image=$(podman_image localhost/cairn-systemd-test \
    "$top_srcdir/t/containers/systemd.Dockerfile")
# a build configured the way the README installs it, built here: the image
# has make but no compiler, so no header dependencies to look for (fault
# injection for the drain: one job's worker is made slow)
mkdir "$T/build"
(cd "$T/build" && "$top_srcdir/configure" -q --prefix=/usr \
    --sysconfdir=/etc --localstatedir=/var --runstatedir=/run \
    --disable-dependency-tracking --enable-fault-injection &&
    make -s -j2) >"$T/build.log" 2>&1 ||
    { cat "$T/build.log" >&2; bail "cannot build cairn"; }

C=cairn-systemd-$$
podman run -d --privileged --systemd=always --name "$C" \
    -v "$top_srcdir:$top_srcdir:ro" -v "$T/build:/build" "$image" \
    >/dev/null || bail "cannot start the container"
at_exit "podman rm -f -t 0 $C"
cin() { podman exec "$C" sh -c "$*" </dev/null; }
cin_stdin() { podman exec -i "$C" sh -c "$*"; }
wait_in()	# SECS COMMAND: until COMMAND succeeds in the container
{
	_end=$(($(date +%s) + $1))
	until cin "$2" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.5
	done
}
wait_in 60 'systemctl is-system-running | grep -Eq "running|degraded"' ||
    bail "systemd did not boot in the container"

# the README's install commands
cin 'cd /build && make -s install >/dev/null && systemd-sysusers &&
    systemd-tmpfiles --create' >"$T/install.log" 2>&1
ok $? "make install, systemd-sysusers and systemd-tmpfiles succeed" ||
    { cat "$T/install.log" >&2; bail "cannot install cairn"; }
is "$(cin 'for f in /usr/sbin/cairnd /usr/sbin/cairnctl \
    /usr/share/man/man8/cairnd.8 /usr/share/man/man5/cairn.conf.5 \
    /usr/share/doc/cairn/examples/cairn.conf.example \
    /usr/lib/sysusers.d/cairn.conf /usr/lib/tmpfiles.d/cairn.conf; do
    [ -s $f ] || echo missing $f; done')" "" \
    "binaries, man pages, example, sysusers.d and tmpfiles.d are installed"
is "$(cin 'grep ^ExecStart= /usr/lib/systemd/system/cairnd.service')" \
    "ExecStart=/usr/sbin/cairnd -f /etc/cairn/cairn.conf" \
    "the installed unit has the configured paths"
is "$(cin 'stat -c "%U %a" /var/backups/cairn; stat -c "%U:%G %a" /etc/cairn' |
    tr '\n' ' ')" "cairn 750 root:cairn 750 " \
    "tmpfiles made the backup and config folders"

# two SQLite databases; job c is made slow through a drop-in
cin 'mkdir -p /srv/app && for d in a b c; do sqlite3 /srv/app/$d.db \
    "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
     WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<500)
     INSERT INTO t SELECT x, hex(randomblob(20)) FROM n;"; done;
    chmod 644 /srv/app/*.db'
conf() {
	cin_stdin "cat > /etc/cairn/cairn.conf && chgrp cairn /etc/cairn/cairn.conf &&
	    chmod 640 /etc/cairn/cairn.conf"
}
printf '%s\n' 'user = "cairn"' 'shutdown_timeout = 3' \
    'defaults { schedule = "0 0 1 1 *" }' \
    'sqlite a { path = "/srv/app/a.db" }' \
    'sqlite c { path = "/srv/app/c.db" run_at_start = false }' | conf
cin 'mkdir -p /etc/systemd/system/cairnd.service.d && printf "%s\n" \
    "[Service]" "Environment=CAIRN_FAULT=c=slow@0" "WatchdogSec=5" \
    "RestartSec=1" > /etc/systemd/system/cairnd.service.d/test.conf &&
    systemctl daemon-reload'

# start: returns once READY=1 came (Type=notify), not before
cin 'timeout 60 systemctl start cairnd'
ok $? "systemctl start cairnd succeeds" ||
    cin 'journalctl -u cairnd --no-pager | tail -n 20' >&2
is "$(cin 'systemctl show -P ActiveState cairnd')" active \
    "and returns with the unit active (READY=1 received)"
like "$(cin 'systemctl show -P StatusText cairnd')" "^2 jobs, " \
    "STATUS= counts the 2 configured jobs"
pid=$(cin 'systemctl show -P MainPID cairnd')
[ "${pid:-0}" -gt 0 ] || bail "cairnd is not running"
wait_in 30 'ls /var/backups/cairn/a/a_backup_*.db.gz'
ok $? "the first backup appears" || cin 'journalctl -u cairnd --no-pager' >&2
art=$(cin 'ls /var/backups/cairn/a/a_backup_*.db.gz')
cin "cairnctl restore a/${art##*/a/} --to /tmp/a.db >/dev/null &&
    [ \"\$(sqlite3 /tmp/a.db .dump | sha256sum)\" = \
      \"\$(sqlite3 /srv/app/a.db .dump | sha256sum)\" ]"
ok $? "and restores (cairnctl restore) to the same data"

# the hardening is in force for the daemon
st() { cin "sed -n 's/^$1:[[:space:]]*//p' /proc/$pid/status" | tr -s ' \t' ' '; }
is "$(st Uid)" "$(cin 'id -u cairn' | sed 's/.*/& & & &/')" "cairnd runs as cairn"
is "$(st NoNewPrivs)" 1 "NoNewPrivs is set"
is "$(st Seccomp)" 2 "a seccomp filter is active (SystemCallFilter)"
is "$(st CapEff)" 0000000000000000 "no capabilities"
out=$(cin "nsenter -t $pid -m touch /usr/cairn-probe 2>&1")
like "$out" "Read-only file system" "ProtectSystem: /usr is read-only to it"

# reload: a good change applies; a broken one fails systemctl reload
printf '%s\n' 'user = "cairn"' 'shutdown_timeout = 3' \
    'defaults { schedule = "0 0 1 1 *" }' \
    'sqlite a { path = "/srv/app/a.db" }' \
    'sqlite b { path = "/srv/app/b.db" }' \
    'sqlite c { path = "/srv/app/c.db" run_at_start = false }' | conf
cin 'systemctl reload cairnd'
ok $? "systemctl reload applies a good config"
wait_in 30 'ls /var/backups/cairn/b/b_backup_*.db.gz'
ok $? "and the new job b has run"
cin 'echo "max_workers = 0" >> /etc/cairn/cairn.conf'
cin 'systemctl reload cairnd' >"$T/reload.out" 2>&1
nok $? "systemctl reload fails on a broken config (the daemon's answer)"
is "$(cin 'systemctl show -P ActiveState cairnd')" active \
    "and cairnd keeps running" 
cin 'sed -i /max_workers/d /etc/cairn/cairn.conf'

# the journal keeps the daemon's lines with their priorities
cin 'journalctl -u cairnd -o json --no-pager' > "$T/journal.json"
grep '"SYSLOG_IDENTIFIER":"cairnd"' "$T/journal.json" |
    grep '"PRIORITY":"4"' | grep -q 'reload failed, keeping'
ok $? "the journal has the failed reload as a warning (priority 4)"
grep '"SYSLOG_IDENTIFIER":"cairnd"' "$T/journal.json" |
    grep -q '"PRIORITY":"6"'
ok $? "and info lines (priority 6)"

# stop drains a running worker: c is slow, stop gives it shutdown_timeout
cin 'cairnctl run c' >/dev/null
wait_in 30 'ls -a /var/backups/cairn/c | grep -q partial'
ok $? "worker c is running"
cin 'timeout 60 systemctl stop cairnd'
is "$(cin 'systemctl show -P ActiveState cairnd'; cin 'systemctl show -P Result cairnd')" \
    "inactive
success" "systemctl stop: cairnd drained its worker and exited 0"
is "$(cin 'ls -a /var/backups/cairn/c | grep -c partial')" 0 \
    "no partial file left behind"

# the watchdog: a stopped daemon is restarted
cin 'systemctl start cairnd'
pid=$(cin 'systemctl show -P MainPID cairnd')
[ "${pid:-0}" -gt 0 ] || bail "cairnd did not start again"
cin "kill -STOP $pid"
wait_in 40 "[ \"\$(systemctl show -P MainPID cairnd)\" != $pid ] &&
    [ \"\$(systemctl show -P ActiveState cairnd)\" = active ]"
ok $? "SIGSTOP: the watchdog restarts cairnd" ||
    cin 'journalctl -u cairnd --no-pager | tail -n 20' >&2

tap_done
