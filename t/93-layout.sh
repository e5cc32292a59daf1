#!/bin/sh
# t/93-layout.sh -- the source layout keeps its shape (issue 14):
#  (a) no include cycle between modules of src/ and include/cairn/, computed
#      from the #include "..." lines (a .c and the .h of the same name are
#      one module; include/cairn/X.h goes with src/lib/X.c);
#  (b) no file in src/worker or src/cairnctl includes a src/cairnd header,
#      and no src/cairnd file includes a src/worker or src/cairnctl one;
#  (c) every header in include/cairn/ has a src/lib/ .c of its name, but
#      the deliberate exceptions listed below.
# The checks first run on small fixture trees, so a check that can no
# longer see what it looks for fails here instead of passing silently.
. "$top_srcdir/t/lib/tap.sh"

command -v tsort >/dev/null 2>&1 || skip_all "tsort (coreutils) not found"
plan 13

# (b): src/cairnd files may include these headers of src/worker, with why.
#   engine.h  libcairn's engine contract (engine.c is in libcairn, see
#             mk/sqlite.am); the types of a worker's PROGRESS and TABLES
#             frames, which struct worker keeps.
CAIRND_MAY_INCLUDE="src/worker/engine.h"
# (c): headers of include/cairn/ with no src/lib/ .c of the same name.
#   errors.h  the outcome codes: an X-macro list, no code to go with it.
#   verify.h  the verify engine, in src/worker/verify.c (built into
#             libcairn for cairnctl verify and the verify worker).
#   worker.h  the modes a re-executed cairnd runs in, src/worker/main.c and
#             src/worker/job_notify.c (linked into cairnd only).
LIB_NO_C="errors.h verify.h worker.h"
# (a): include edges left out of the cycle check, "FROM>TO" (modules).
#   lib/util>lib/log  util's x-allocators die through fatal() while log
#             formats its lines with util_vis() and util_utc_stamp(): the
#             two are libcairn's base, used by every other module, and the
#             way out (the allocators in a module of their own) would touch
#             the includes of every file; not a layering problem.
CYCLE_OK="lib/util>lib/log"

# The directories after the including file's own that "..." is searched in
# (Makefile.am's AM_CPPFLAGS order).
SEARCH="include src/worker src/cairnd"

# edges ROOT: "FROM TO" for every #include "..." of src/ and include/ that
# resolves to a file of the tree; "FROM ?NAME" for one that resolves to none.
edges()
{
	(cd "$1" && find src include -name '*.[ch]' 2>/dev/null | sort |
	while read -r f; do
		sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
		    "$f" | while read -r inc; do
			[ "$inc" = config.h ] && continue
			to=
			for d in "$(dirname "$f")" $SEARCH; do
				if [ -f "$d/$inc" ]; then
					to=$d/$inc
					break
				fi
			done
			echo "$f ${to:-?$inc}"
		done
	done) | sed -e 's|/\./|/|g' -e 's|[^/ ]*/\.\./||g'
}

# A file's module: include/cairn/X.h and src/lib/X.c are "lib/X";
# src/D/X.c and src/D/X.h are "D/X"; a split module's private header
# src/D/X_int.h is part of "D/X".
modules()
{
	sed -e 's|include/cairn/\([^ ]*\)\.h|lib/\1|g' \
	    -e 's|src/\([^ /]*\)/\([^ /]*\)_int\.h|\1/\2|g' \
	    -e 's|src/\([^ /]*\)/\([^ /]*\)\.[ch]|\1/\2|g'
}

# cycles ROOT: the modules on an include cycle ("" when there is none).
cycles()
{
	edges "$1" | grep -v ' ?' | modules | while read -r from to; do
		case " $CYCLE_OK " in *" $from>$to "*) continue ;; esac
		echo "$from $to"
	done | tsort 2>&1 >/dev/null |
	    sed -n 's/^tsort: \([^-:][^:]*\)$/\1/p' | sort -u | tr '\n' ' '
}

# crossing ROOT: "FROM TO" where a worker or cairnctl file includes a
# cairnd header or a cairnd file a worker or cairnctl header.
crossing()
{
	edges "$1" | while read -r from to; do
		case $from in
		src/worker/*|src/cairnctl/*)
			case $to in src/cairnd/*) echo "$from $to" ;; esac ;;
		src/cairnd/*)
			case " $CAIRND_MAY_INCLUDE " in *" $to "*) continue ;; esac
			case $to in
			src/worker/*|src/cairnctl/*) echo "$from $to" ;;
			esac ;;
		esac
	done
}

# orphans ROOT: include/cairn headers with no src/lib/ .c of their name.
orphans()
{
	for h in "$1"/include/cairn/*.h; do
		[ -f "$h" ] || continue
		b=$(basename "$h" .h)
		case " $LIB_NO_C " in *" $b.h "*) continue ;; esac
		[ -f "$1/src/lib/$b.c" ] || printf '%s ' "include/cairn/$b.h"
	done
}

# -- the checks see what they look for (fixtures) ---------------------------
tap_tmpdir
F=$TAP_TMP/tree
mkdir -p "$F/include/cairn" "$F/src/lib" "$F/src/cairnd" "$F/src/worker"
printf '#include "cairn/b.h"\n' > "$F/src/lib/a.c"
: > "$F/include/cairn/a.h"
printf '#include "cairn/b.h"\n' > "$F/src/lib/b.c"
printf '#include "cairn/util.h"\n' > "$F/src/lib/log.c"
printf '#include "cairn/log.h"\n' > "$F/src/lib/util.c"
: > "$F/include/cairn/log.h"
: > "$F/include/cairn/util.h"
printf '#include "x.h"\n' > "$F/include/cairn/b.h"
printf '#include "cairn/a.h"\n' > "$F/src/cairnd/x.h"
printf '#include "x.h"\n' > "$F/src/cairnd/x.c"
printf '#include "x.h"\n#include "config.h"\n#include "../cairnd/x.h"\n' > "$F/src/worker/w.c"
: > "$F/include/cairn/lone.h"

got=$(cycles "$F")
is "$got" "cairnd/x lib/a lib/b " "a fixture's cycle (a.c -> b.h -> cairnd/x.h -> a.h) is found, every module on it named"
got=$(crossing "$F")
got=$(echo "$got" | tr '\n' ';')
is "$got" "src/worker/w.c src/cairnd/x.h;src/worker/w.c src/cairnd/x.h;" "a fixture's worker file including a cairnd header is found, by name (-I src/cairnd) and by ../cairnd/"
got=$(orphans "$F")
is "$got" "include/cairn/lone.h " "a fixture's header without a src/lib .c is found"
rm "$F/src/cairnd/x.h"
printf '#include "cairn/lone.h"\n' > "$F/src/cairnd/x.h"
got=$(cycles "$F")
is "$got" "" "with the back edge gone the fixture has no cycle (and $CYCLE_OK is let through)"

# -- the tree ---------------------------------------------------------------
R=$top_srcdir
nfiles=$(cd "$R" && find src include -name '*.[ch]' | wc -l)
nedges=$(edges "$R" | grep -vc ' ?')
diag "$nfiles files, $nedges resolved includes"
[ "$nfiles" -gt 50 ] && [ "$nedges" -gt 100 ]
ok $? "the tree's sources and includes are found ($nfiles files, $nedges includes)"

got=$(edges "$R" | grep ' ?' | tr '\n' ';')
is "$got" "" "every #include \"...\" resolves to a file of the tree"

got=$(cycles "$R")
is "$got" "" "(a) no include cycle between modules"

got=$(crossing "$R" | grep '^src/\(worker\|cairnctl\)/' | tr '\n' ';')
is "$got" "" "(b) no src/worker or src/cairnctl file includes a src/cairnd header"

got=$(crossing "$R" | grep '^src/cairnd/' | tr '\n' ';')
is "$got" "" "(b) no src/cairnd file includes a src/worker or src/cairnctl header (but $CAIRND_MAY_INCLUDE)"

got=$(orphans "$R")
is "$got" "" "(c) every include/cairn header has a src/lib .c of its name (but $LIB_NO_C)"

# the exceptions are still needed: one that no longer is gets dropped
stale=
for h in $LIB_NO_C; do
	[ -f "$R/include/cairn/$h" ] && [ ! -f "$R/src/lib/${h%.h}.c" ] ||
	    stale="$stale $h"
done
is "$stale" "" "(c) each listed exception is a header without a src/lib .c"
stale=
for h in $CAIRND_MAY_INCLUDE; do
	edges "$R" | grep -q "^src/cairnd/[^ ]* $h\$" || stale="$stale $h"
done
is "$stale" "" "(b) each listed exception is still included by src/cairnd"
stale=
for e in $CYCLE_OK; do
	edges "$R" | modules | grep -q "^${e%>*} ${e#*>}\$" || stale="$stale $e"
done
is "$stale" "" "(a) each edge let through still exists"

tap_done
