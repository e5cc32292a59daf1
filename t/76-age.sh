#!/bin/sh
# t/76-age.sh -- encryption at rest with age, end to end: keys in the
# config (errors name FILE:LINE and never echo a key; cairnd -n prints
# fingerprints), the real daemon writing .db.gz.age / .sql.gz.age that
# Debian's age(1) decrypts and that restore identically (SQLite .dump,
# MySQL CHECKSUM TABLE), verify without the identity (header level) and
# with it (decrypted, every check), cairnctl restore -i, files made by
# `age -e -r` read by cairn, and every single-byte flip and truncation of a
# small artifact caught by verify-with-identity and by age -d.
. "$top_srcdir/t/lib/tap.sh"
. "$top_srcdir/t/lib/daemon.sh"

command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 ||
    skip_all "age and age-keygen not installed (scripts/install-deps)"
daemon_setup
helper="$top_builddir/t/age-verify-helper"
ctl=$CAIRNCTL
q() { sqlite3 "$T/bk/catalog.db" "$1"; }

age-keygen -o "$T/key1.txt" 2>/dev/null && age-keygen -o "$T/key2.txt" \
    2>/dev/null || bail "age-keygen"
pub1=$(age-keygen -y "$T/key1.txt")
pub2=$(age-keygen -y "$T/key2.txt")
printf '# backup recipients\n\n%s\n' "$pub2" > "$T/recipients.txt"

# ---- configuration ----
mkdb "$T/app.db" 500
conf_head "$T/c.conf" "sqlite app {
	path = \"$T/app.db\"
	age_recipients = { \"$pub1\" }
	age_recipients_file = \"$T/recipients.txt\"
}"
"$CAIRND" -n -f "$T/c.conf" > "$T/out" 2> "$T/err"
ok $? "cairnd -n accepts age recipients (list and file)"
is "$(grep -c "job app encrypts to SHA256:[0-9a-f]\{16\} age1" "$T/out")" 2 \
    "cairnd -n prints both recipients' fingerprints"

conf_head "$T/bad1.conf" "defaults {" \
    "	age_recipients = { \"age1notakey\" }" "}" \
    "sqlite app { path = \"$T/app.db\" }"
"$CAIRND" -n -f "$T/bad1.conf" > /dev/null 2> "$T/err"
[ $? -eq 78 ] && grep -q "^$T/bad1.conf:7: age_recipients: \"age1notakey\"" "$T/err"
ok $? "a bad recipient in defaults: exit 78, FILE:LINE: option" ||
    diag "$(cat "$T/err")"
printf '%s\n# two\nage1qqqqbad\n' "$pub1" > "$T/badrcpt.txt"
conf_head "$T/bad2.conf" "sqlite app {
	path = \"$T/app.db\"
	age_recipients_file = \"$T/badrcpt.txt\"
}"
"$CAIRND" -n -f "$T/bad2.conf" > /dev/null 2> "$T/err"
[ $? -eq 78 ] && grep -q "age_recipients_file: $T/badrcpt.txt:3: " "$T/err"
ok $? "a bad line of a recipients file is named FILE:LINE" ||
    diag "$(cat "$T/err")"
sed 's/^AGE-SECRET-KEY-1\(.....\)/AGE-SECRET-KEY-1\1x/' "$T/key1.txt" \
    > "$T/badkey.txt"
conf_head "$T/bad3.conf" "sqlite app {
	path = \"$T/app.db\"
	age_recipients = { \"$pub1\" }
	age_identity_file = \"$T/badkey.txt\"
}"
"$CAIRND" -n -f "$T/bad3.conf" > /dev/null 2> "$T/err"
rc=$?
secret=$(grep '^AGE-SECRET' "$T/badkey.txt" | cut -c17-40)
[ $rc -eq 78 ] && grep -q "age_identity_file: $T/badkey.txt: line 3:" "$T/err" &&
    ! grep -q "$secret" "$T/err"
ok $? "a broken identity file is an error that does not echo the key" ||
    diag "$(cat "$T/err")"

# ---- the daemon: SQLite, no identity (header-level verify) ----
"$CAIRND" -o -f "$T/c.conf" > "$T/daemon.log" 2>&1
ok $? "a cycle with an encrypted SQLite job exits 0" || show_log
X=$(cd "$T/bk/app" && ls app_backup_*.db.gz.age 2>/dev/null)
like "$X" '^app_backup_[0-9]{8}_[0-9]{6}\.db\.gz\.age$' "the artifact is NAME.db.gz.age"
is "$(ls "$T/bk/app" | grep -vc '\.age$')" 0 "no unencrypted file in the job folder"
is "$(q "SELECT sha256 FROM artifacts WHERE path = 'app/$X'")" \
    "$(sha256sum "$T/bk/app/$X" | cut -d' ' -f1)" \
    "the catalog's SHA-256 is of the encrypted file"
like "$(q "SELECT verify_result FROM artifacts WHERE path = 'app/$X'")" \
    'header only' "verify without an identity says it checked the header only"
age -d -i "$T/key1.txt" "$T/bk/app/$X" | gunzip > "$T/r1.db"
is "$(sqlite3 "$T/r1.db" .dump)" "$(sqlite3 "$T/app.db" .dump)" \
    "age -d -i key1 | gunzip restores the database identically"
age -d -i "$T/key2.txt" "$T/bk/app/$X" | gunzip | cmp -s - "$T/r1.db"
ok $? "the recipients-file key decrypts it too"
"$ctl" -d "$T/bk" restore "app/$X" -i "$T/key2.txt" --to "$T/r2.db" > /dev/null
ok $? "cairnctl restore -i decrypts and restores"
is "$(sqlite3 "$T/r2.db" .dump)" "$(sqlite3 "$T/app.db" .dump)" \
    "... identically (.dump)"
"$ctl" -d "$T/bk" restore "app/$X" --to "$T/r3.db" > /dev/null 2> "$T/err"
[ $? -ne 0 ] && grep -q "encrypted" "$T/err" && [ ! -e "$T/r3.db" ]
ok $? "without an identity restore refuses and says why"
"$ctl" -d "$T/bk" restore "app/$X" -i "$T/key1.txt" --to "$T/r4.db" >/dev/null 2>&1
ok $? "... and key1 restores it as well"

# ---- with age_identity_file: decrypting verify ----
sed "s|age_recipients_file = .*|&\n\tage_identity_file = \"$T/key1.txt\"|" \
    "$T/c.conf" > "$T/c2.conf"
sleep 1
"$CAIRND" -o -f "$T/c2.conf" > "$T/daemon.log" 2>&1
ok $? "a cycle with age_identity_file exits 0" || show_log
Y=$(cd "$T/bk/app" && ls app_backup_*.db.gz.age | tail -1)
isnt "$Y" "$X" "a second artifact was written"
like "$(q "SELECT verify_result FROM artifacts WHERE path = 'app/$Y'")" \
    'decrypted, every check' "verify with the identity decrypted and ran every check"
"$ctl" -d "$T/bk" -f "$T/c2.conf" restore "app/$Y" --to "$T/r5.db" >/dev/null 2>&1 ||
    "$ctl" -f "$T/c2.conf" restore "app/$Y" --to "$T/r5.db" >/dev/null
is "$(sqlite3 "$T/r5.db" .dump 2>/dev/null)" "$(sqlite3 "$T/app.db" .dump)" \
    "cairnctl restore uses the configured identity when -i is not given"

# ---- files made by age -e -r read by cairn ----
mkdir -p "$T/ext/app"
Z=app_backup_20260101_000000.db.gz.age
gzip -c "$T/app.db" | age -e -r "$pub1" > "$T/ext/app/$Z"
out=$("$helper" -i "$T/key1.txt" "$T/ext/app" "$Z")
is "$out" "decrypted 0 ok" "an age -e -r file passes cairn's decrypting verify"
"$ctl" -d "$T/ext" restore "app/$Z" -i "$T/key1.txt" --to "$T/r6.db" >/dev/null 2>&1
is "$(sqlite3 "$T/r6.db" .dump)" "$(sqlite3 "$T/app.db" .dump)" \
    "... and cairnctl restore -i restores it identically"
out=$("$helper" "$T/ext/app" "$Z")
is "$out" "header 0 ok" "without an identity: the header-level check"
out=$("$helper" -i "$T/key2.txt" "$T/ext/app" "$Z")
like "$out" '^decrypted 93 age: no identity matches' "the wrong key: no match"

# ---- every flip and truncation of a small artifact ----
mkdb "$T/tiny.db" 3
mkdir -p "$T/f/app"
sqlite3 "$T/tiny.db" "VACUUM"
gzip -9 -c "$T/tiny.db" | age -e -r "$pub1" > "$T/tiny.age"
size=$(wc -c < "$T/tiny.age")
W=app_backup_20260101_000001.db.gz.age
cp "$T/tiny.age" "$T/f/app/$W"
mkdir "$T/mut"
set -- $("$helper" -E "$T/mut" -i "$T/key1.txt" "$T/f/app" "$W")
[ "${1:-0}" -eq $((2 * size)) ] && [ "${2:-1}" -eq 0 ]
ok $? "verify with the identity (no SHA-256 given) catches all $size flips and $size truncations (${2:-?} missed)"
missed_a=0
for m in "$T"/mut/*; do
	age -d -i "$T/key1.txt" "$m" > /dev/null 2>&1 && missed_a=$((missed_a + 1))
done
is "$missed_a" 0 "age -d catches all $(ls "$T/mut" | wc -l) of them too"
cp "$T/tiny.age" "$T/f/app/$W"
is "$("$helper" -i "$T/key1.txt" "$T/f/app" "$W")" "decrypted 0 ok" \
    "the untouched file passes"

# ---- MySQL: the daemon's dump decrypts with age -d and restores ----
. "$top_srcdir/t/lib/mariadb.sh"
if ! mariadb_available; then
	skip 6 "MariaDB server not installed"
	tap_done
fi
mariadb_start || bail "cannot start a MariaDB server"
mdb -e "CREATE DATABASE shop;
    CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40), n INT);
    INSERT INTO shop.items VALUES (1, 'fir', 10), (2, 'oak', 20), (3, 'yew', 30);
    CREATE TABLE shop.notes (id INT PRIMARY KEY, body TEXT);
    USE shop; INSERT INTO notes SELECT seq, REPEAT('x', seq) FROM seq_1_to_2000;" ||
    bail "cannot fill the database"
mariadb_create_user backup 'b-pw' "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS"
printf 'b-pw\n' > "$T/pw"
chmod 600 "$T/pw"
sums() { mdb -N -e "CHECKSUM TABLE $1.items, $1.notes" | cut -f2 | tr '\n' ' '; }
want=$(sums shop)
conf_head "$T/m.conf" "mysql main {
	socket = \"$MARIADB_SOCK\"
	user = \"backup\"
	password_file = \"$T/pw\"
	databases = { \"shop\" }
	age_recipients = { \"$pub1\" }
	age_identity_file = \"$T/key1.txt\"
}"
"$CAIRND" -o -f "$T/m.conf" > "$T/daemon.log" 2>&1
ok $? "a cycle with an encrypted MySQL job exits 0" || show_log
M=$(cd "$T/bk/main" && ls main_backup_*.sql.gz.age 2>/dev/null)
like "$M" '\.sql\.gz\.age$' "the dump is NAME.sql.gz.age"
like "$(q "SELECT verify_result FROM artifacts WHERE path = 'main/$M'")" \
    'decrypted' "verified after decryption (row counts and all)"
mdb -e "DROP DATABASE shop"
age -d -i "$T/key1.txt" "$T/bk/main/$M" | gunzip | mdb
ok $? "age -d -i key.txt X.sql.gz.age | gunzip | mariadb"
is "$(sums shop)" "$want" "CHECKSUM TABLE equal after the stock-tools restore"
mdb -e "DROP DATABASE shop"
"$ctl" -d "$T/bk" restore "main/$M" -i "$T/key1.txt" \
    --socket "$MARIADB_SOCK" --user root > /dev/null && [ "$(sums shop)" = "$want" ]
ok $? "cairnctl restore -i into MariaDB: CHECKSUM TABLE equal"
mkdir -p "$T/ext/main"
N=main_backup_20260101_000000.sql.gz.age
age -d -i "$T/key1.txt" "$T/bk/main/$M" | age -e -r "$pub2" > "$T/ext/main/$N"
mdb -e "DROP DATABASE shop"
"$ctl" -d "$T/ext" restore "main/$N" -i "$T/key2.txt" \
    --socket "$MARIADB_SOCK" --user root > /dev/null && [ "$(sums shop)" = "$want" ]
ok $? "a dump encrypted by age -e -r restores through cairn: CHECKSUM TABLE equal"
tap_done
