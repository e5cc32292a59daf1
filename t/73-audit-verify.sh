#!/bin/sh
# t/73-audit-verify.sh -- cairnd --verify-audit on a trail the daemon wrote:
# intact it passes; an edited, a deleted and two swapped lines are each
# found, and the first broken line is named.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

daemon_setup
plan 9

mkdb "$T/a.db" 3
mkdb "$T/b.db" 3
conf_head "$T/c.conf" "sqlite a { path = \"$T/a.db\" }" \
    "sqlite b { path = \"$T/b.db\" }"
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1 || show_log
log=$T/bk/audit.log
lines=$(wc -l < "$log")
ok $([ "$lines" -ge 8 ]; echo $?) "the daemon wrote an audit trail ($lines lines)"

out=$("$CAIRND" --verify-audit "$log")
ok $? "the untouched trail verifies: $out"

# an edit: a job name changed on line 5
sed '5s/"job":"[ab]"/"job":"x"/' "$log" > "$T/edited.log"
out=$("$CAIRND" --verify-audit "$T/edited.log")
is $? 65 "an edited line is detected (exit 65)"
like "$out" ':5: broken' "the edited line is named"

# a deletion: line 4 removed
sed '4d' "$log" > "$T/deleted.log"
out=$("$CAIRND" --verify-audit "$T/deleted.log")
nok $? "a deleted line is detected"
like "$out" ':4: broken' "at the line that took its place"

# a reordering: lines 3 and 4 swapped
awk 'NR == 3 { held = $0; next } NR == 4 { print; print held; next } 1' \
    "$log" > "$T/swapped.log"
out=$("$CAIRND" --verify-audit "$T/swapped.log")
nok $? "two swapped lines are detected"
like "$out" ':3: broken' "at the first of them"

"$CAIRND" --verify-audit "$T/no-such.log" >/dev/null 2>&1
is $? 66 "a missing file is an error of its own (exit 66)"

tap_done
