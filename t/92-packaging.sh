#!/bin/sh
# t/92-packaging.sh -- the shipped systemd unit and docker files are valid.
# (No Docker engine runs here: docker-compose's own parser checks the
# compose file, systemd-analyze the unit; the Dockerfile is checked for the
# files it copies.)
. "$top_srcdir/t/lib/tap.sh"

plan 7
unit="$top_srcdir/etc/cairnd.service"
tap_tmpdir
tmp=$TAP_TMP

# Only what a machine without a running systemd says about itself is
# dropped (no bus, units the host lacks); everything about the file stays.
sd_verify() {
	systemd-analyze verify --man=no "$1" 2>&1 |
	    grep -v -e '^Failed to \(connect to\|create\) bus' \
		-e '^Unit [^ ]* not found' -e '^$'
}
if command -v systemd-analyze >/dev/null 2>&1; then
	# point the unit at the built binary so verify can resolve ExecStart
	sed "s|/usr/local/sbin/cairnd|$CAIRND|g" "$unit" > "$tmp/cairnd.service"
	out=$(sd_verify "$tmp/cairnd.service")
	is "$out" "" "systemd-analyze verify reports nothing about the unit"
	# the filter above must not hide a real error: break the unit
	mkdir "$tmp/bad"
	sed 's|^Type=notify$|Type=bogus|' "$tmp/cairnd.service" \
	    > "$tmp/bad/cairnd.service"
	out=$(sd_verify "$tmp/bad/cairnd.service")
	like "$out" 'Failed to parse service type' \
	    "and a broken unit is reported through the same filter"
else
	skip 2 "systemd-analyze not installed"
fi
grep -q '^Type=notify$' "$unit"
ok $? "the unit uses Type=notify"
grep -q '^ProtectSystem=strict$' "$unit" && grep -q '^NoNewPrivileges=yes$' "$unit"
ok $? "the unit is hardened (ProtectSystem=strict, NoNewPrivileges)"

if command -v docker-compose >/dev/null 2>&1; then
	docker-compose -f "$top_srcdir/docker/docker-compose.yaml" config \
	    > "$tmp/compose.out" 2>&1
	ok $? "docker-compose config accepts docker/docker-compose.yaml"
	grep -q '/data/app:ro' "$tmp/compose.out"
	ok $? "the application's SQLite volume is mounted read-only"
else
	skip 2 "docker-compose not installed"
fi
missing=
for f in $(sed -n 's/^COPY \(docker\/[^ ]*\) .*/\1/p' "$top_srcdir/docker/Dockerfile"); do
	[ -f "$top_srcdir/$f" ] || missing="$missing $f"
done
is "$missing" "" "every file the Dockerfile copies exists"
tap_done
