#!/bin/sh
# t/67-mysql-restore-keys.sh -- cairnctl restore --jobs leaves the plain
# KEY lines out of an eligible table's CREATE TABLE and adds them after its
# rows (docs/performance.md), and the result is the one of a stock
# `gunzip -c | mariadb` restore of the same artifact: SHOW CREATE,
# CHECKSUM TABLE EXTENDED and every row (t/lib/dbcompare.sh).  Names with
# line breaks and "KEY" text inside them are not key lines; a database with
# a foreign key, a FULLTEXT table, MyISAM, an AUTO_INCREMENT column led
# only by a plain key, a table with one plain key and an empty table keep
# their keys in the CREATE;
# --no-defer-keys defers none.
. "$top_srcdir/t/lib/dumptest.sh"

plan 18
dumptest_servers
# k: deferred (orders: keys before a CHECK; the hostile table: keys last,
# its key names hold line breaks and key text, its column name key text; a
# table or column name with a line break loads in one stream anyway);
# the others keep their keys
mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<'SQL'
CREATE DATABASE k;
USE k;
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY,
    code CHAR(8) NOT NULL, customer INT NOT NULL, created DATETIME,
    status ENUM('new','paid') DEFAULT 'new',
    note VARCHAR(100) COMMENT 'it''s  KEY `fake` (`id`),',
    UNIQUE KEY (code), KEY (customer), KEY cs (created, status),
    KEY note_k (note(10)) COMMENT 'KEY `x`', KEY gone (status) IGNORED,
    CONSTRAINT pos CHECK (customer >= 0)) AUTO_INCREMENT=3;
INSERT INTO orders (code, customer, created, status, note)
    SELECT LPAD(seq, 8, '0'), seq % 977, '2020-01-01' + INTERVAL seq MINUTE,
    1 + seq % 2, CONCAT('note ', seq % 13) FROM seq_1_to_40000;
CREATE TABLE `h  KEY ``t`` (``id``),` (
    id INT NOT NULL PRIMARY KEY,
    `c  KEY ``y`` (``c``),` INT,
    v VARCHAR(20),
    KEY `k
  KEY ``z`` (``id``)` (`c  KEY ``y`` (``c``),`, v),
    KEY `v
  KEY ``y`` (``v``),
) ENGINE=MyISAM` (v));
INSERT INTO `h  KEY ``t`` (``id``),` SELECT seq, seq % 31, CONCAT('v', seq % 7)
    FROM seq_1_to_20000;
CREATE TABLE ai (id INT AUTO_INCREMENT, v INT, KEY (id), KEY (v));
INSERT INTO ai (v) SELECT seq % 5 FROM seq_1_to_3000;
CREATE TABLE my (id INT PRIMARY KEY, v INT, KEY (v), KEY (id, v))
    ENGINE=MyISAM;
INSERT INTO my SELECT seq, seq % 5 FROM seq_1_to_3000;
CREATE TABLE vacant (id INT PRIMARY KEY, v INT, KEY (v), KEY (id, v));
CREATE DATABASE fk;
CREATE TABLE fk.parent (id INT PRIMARY KEY, v INT, KEY (v), KEY (id, v));
INSERT INTO fk.parent SELECT seq, seq % 9 FROM seq_1_to_3000;
CREATE TABLE fk.child (id INT PRIMARY KEY, p INT, w INT, KEY (w),
    FOREIGN KEY (p) REFERENCES fk.parent (id));
INSERT INTO fk.child SELECT seq, 1 + seq % 3000, seq % 4 FROM seq_1_to_3000;
CREATE DATABASE ft;
CREATE TABLE ft.docs (id INT PRIMARY KEY, body TEXT, n INT, KEY (n),
    KEY (id, n), FULLTEXT KEY (body));
INSERT INTO ft.docs SELECT seq, CONCAT('word', seq % 50, ' other'), seq % 6
    FROM seq_1_to_3000;
CREATE TABLE ft.plain (id INT PRIMARY KEY, n INT, KEY (n));
INSERT INTO ft.plain SELECT seq, seq % 6 FROM seq_1_to_3000;
CREATE TABLE ft.two (id INT PRIMARY KEY, n INT, m INT, KEY (n), KEY (m));
INSERT INTO ft.two SELECT seq, seq % 6, seq % 7 FROM seq_1_to_3000;
SQL
st=$?; ok $st "the source databases are created"; [ $st = 0 ] || sed "s/^/# /" "$TAP_TMP/load.out"
"$dump" -o "$out" -S "$src_SOCK" -d k -d fk -d ft >"$TAP_TMP/dump.out" 2>&1 ||
    bail "cannot dump"
art=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
# the hostile lines are there, inside quotes
n=$(gzip -dc "$art" | grep -c '^  KEY ``[yz]`` \|^) ENGINE=MyISAM`')
ok "$([ "$n" -ge 3 ]; echo $?)" "the dump holds lines that look like keys inside names ($n)"

gzip -dc "$art" | mariadb_client "$dst_SOCK" >"$TAP_TMP/stock.out" 2>&1
ok $? "gunzip -c | mariadb restores the dump" ||
    sed 's/^/# /' "$TAP_TMP/stock.out"
for db in k fk ft; do
	db_fingerprint "$dst_SOCK" $db >"$TAP_TMP/stock-$db.fp"
done
drop() { mariadb_client "$dst_SOCK" -e "DROP DATABASE k; DROP DATABASE fk;
    DROP DATABASE ft"; }
drop

# the server's log tells which ALTER TABLE statements ran
mariadb_client "$dst_SOCK" -e "SET GLOBAL log_output = 'TABLE';
    SET GLOBAL general_log = 1"
"$ctl" restore "$art" --socket "$dst_SOCK" --user root --jobs 2 \
    >"$TAP_TMP/r1.out" 2>"$TAP_TMP/r1.err"
ok $? "cairnctl restore --jobs 2" || sed 's/^/# /' "$TAP_TMP/r1.err"
like "$(cat "$TAP_TMP/r1.out")" 'secondary keys of 3 tables after the rows' \
    "three tables got their keys after their rows (k.orders, the hostile one, ft.two)" ||
    sed "s/^/# /" "$TAP_TMP/r1.err"
mariadb_client "$dst_SOCK" -e "SET GLOBAL general_log = 0"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT HEX(argument) FROM
    mysql.general_log WHERE argument LIKE 'ALTER TABLE%' ORDER BY event_time" |
    while read -r h; do printf '%s' "$h" | xxd -r -p; echo; done)" \
    "ALTER TABLE \`h  KEY \`\`t\`\` (\`\`id\`\`),\` ADD KEY \`k
  KEY \`\`z\`\` (\`\`id\`\`)\` (\`c  KEY \`\`y\`\` (\`\`c\`\`),\`,\`v\`), ADD KEY \`v
  KEY \`\`y\`\` (\`\`v\`\`),
) ENGINE=MyISAM\` (\`v\`)
ALTER TABLE \`orders\` ADD KEY \`customer\` (\`customer\`), ADD KEY \`cs\` (\`created\`,\`status\`), ADD KEY \`note_k\` (\`note\`(10)) COMMENT 'KEY \`x\`', ADD KEY \`gone\` (\`status\`) IGNORED
ALTER TABLE \`two\` ADD KEY \`n\` (\`n\`), ADD KEY \`m\` (\`m\`)" \
    "the server ran one ALTER TABLE for each, its keys as dumped, in order"
for db in k fk ft; do
	db_fingerprint "$dst_SOCK" $db >"$TAP_TMP/par-$db.fp"
	db_compare "$db is the same as after a stock restore" \
	    "$TAP_TMP/stock-$db.fp" "$TAP_TMP/par-$db.fp"
done
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT INDEX_NAME FROM
    information_schema.STATISTICS WHERE TABLE_SCHEMA = 'k' AND
    TABLE_NAME = 'orders' AND SEQ_IN_INDEX = 1" | LC_ALL=C sort |
    tr '\n' ' ')" "PRIMARY code cs customer gone note_k " \
    "k.orders has every key"
drop

"$ctl" restore "$art" --socket "$dst_SOCK" --user root --jobs 2 \
    --no-defer-keys >"$TAP_TMP/r2.out" 2>"$TAP_TMP/r2.err"
ok $? "cairnctl restore --jobs 2 --no-defer-keys" ||
    sed 's/^/# /' "$TAP_TMP/r2.err"
like "$(cat "$TAP_TMP/r2.out")" 'secondary keys of 0 tables after the rows' \
    "defers none"
for db in k fk ft; do
	db_fingerprint "$dst_SOCK" $db >"$TAP_TMP/nod-$db.fp"
	db_compare "$db is the same again" "$TAP_TMP/stock-$db.fp" \
	    "$TAP_TMP/nod-$db.fp"
done

# a single-database dump under another name: the ALTER follows the client
# into it
"$dump" -o "$out" -S "$src_SOCK" -d ft -s 1700000000 \
    >"$TAP_TMP/dump2.out" 2>&1 || bail "cannot dump ft"
art2=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump2.out")
"$ctl" restore "$art2" --socket "$dst_SOCK" --user root --jobs 2 \
    --database ft2 >"$TAP_TMP/r3.out" 2>"$TAP_TMP/r3.err"
ok $? "restore --database ft2 --jobs 2" || sed 's/^/# /' "$TAP_TMP/r3.err"
like "$(cat "$TAP_TMP/r3.out")" 'database ft2 .*secondary keys of 1 table after' \
    "ft.two's keys after its rows"
db_fingerprint "$dst_SOCK" ft2 | sed 's/`ft2`/`ft`/g; s/^ft2\([.	]\)/ft\1/' \
    >"$TAP_TMP/ft2.fp"
db_compare "the renamed copy is the same" "$TAP_TMP/stock-ft.fp" \
    "$TAP_TMP/ft2.fp"
