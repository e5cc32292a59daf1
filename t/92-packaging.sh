#!/bin/sh
# t/92-packaging.sh -- the generated systemd unit and the docker files are valid.
# (python3-yaml parses the compose file, systemd-analyze verifies the unit;
# the Dockerfile is checked for the files it copies; t/96-systemd.sh runs
# the unit for real.)
. "$top_srcdir/t/lib/tap.sh"

plan 9
# the unit as make generates it from etc/cairnd.service.in
unit="$top_builddir/etc/cairnd.service"
[ -f "$unit" ] || (cd "$top_builddir" && make -s etc/cairnd.service) >/dev/null
tap_tmpdir
tmp=$TAP_TMP

# Only what a machine without a running systemd says about itself is
# dropped (no bus, units the host lacks); everything about the file stays.
sd_verify() {
	systemd-analyze verify --man=no "$1" 2>&1 |
	    grep -v -e '^Failed to \(connect to\|create\) bus' \
		-e '^Unit [^ ]* not found' -e '^Cannot add dependency job' -e '^$'
}
if command -v systemd-analyze >/dev/null 2>&1; then
	# point the unit at the built binary so verify can resolve ExecStart
	sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/\(cairn[a-z]*\) |\1$top_builddir/\2 |" \
	    "$unit" > "$tmp/cairnd.service"
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

compose=$top_srcdir/docker/docker-compose.yaml
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$compose" > "$tmp/compose.out" 2>&1 <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert "version" not in c, "obsolete version: key"
cairn = c["services"]["cairn"]
for dep in ("db", "app"):
    assert cairn["depends_on"][dep]["condition"] == "service_healthy", dep
assert "healthcheck" in c["services"]["db"], "db healthcheck"
print("\n".join(cairn["volumes"]))
PY
	ok $? "the compose file parses, has no obsolete version: key, and cairn waits for healthy db and app" ||
	    cat "$tmp/compose.out" >&2
	grep -q '/data/app:ro' "$tmp/compose.out"
	ok $? "the application's SQLite volume is mounted read-only"
else
	skip 2 "python3-yaml not installed"
fi
missing=
for f in $(sed -n 's/^COPY \(docker\/[^ ]*\) .*/\1/p' "$top_srcdir/docker/Dockerfile"); do
	[ -f "$top_srcdir/$f" ] || missing="$missing $f"
done
is "$missing" "" "every file the Dockerfile copies exists"
grep -q '^USER cairn$' "$top_srcdir/docker/Dockerfile"
ok $? "the image runs as the unprivileged user cairn"
grep -qx '.git' "$top_srcdir/.dockerignore"
ok $? ".dockerignore keeps .git out of the build context"
tap_done
