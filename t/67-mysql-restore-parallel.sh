#!/bin/sh
# t/67-mysql-restore-parallel.sh -- cairnctl restore loads a cairn dump's
# rows over several connections (--jobs) and the result is the one of a
# stock `gunzip -c | mariadb` restore of the same artifact: every table's
# SHOW CREATE, CHECKSUM TABLE EXTENDED, rows, AUTO_INCREMENT, and every
# view, trigger, routine, event and sequence (t/lib/dbcompare.sh).  A
# trigger must not fire on the restored rows; --database renames; a target
# that holds objects is refused; a row the server rejects fails the
# restore, naming the loader and the line; a client command after an
# INSERT on its line is still refused (the fast check of the rows hands
# the line back to the splitter); a dump whose rows cannot be split
# (system-versioned history) is loaded in one stream.
. "$top_srcdir/t/lib/dumptest.sh"

plan 22
dumptest_servers
# rows: enough for several 1 MiB INSERT statements per big table
mariadb_client "$src_SOCK" >"$TAP_TMP/load.out" 2>&1 <<'SQL'
CREATE DATABASE shop;
USE shop;
CREATE SEQUENCE order_no START WITH 100;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL,
    UNIQUE KEY (name));
INSERT INTO customers SELECT seq, CONCAT('customer ', seq) FROM seq_1_to_30000;
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY,
    customer INT NOT NULL, amount DECIMAL(10,2), created DATETIME,
    note TEXT, bin VARBINARY(64), f FLOAT,
    KEY (customer), KEY (created, amount),
    FOREIGN KEY (customer) REFERENCES customers (id)) AUTO_INCREMENT=5;
INSERT INTO orders (customer, amount, created, note, bin, f)
    SELECT 1 + seq % 30000, seq / 7, '2020-01-01' + INTERVAL seq MINUTE,
    CONCAT('it''s "order" ', seq, '\n\\', REPEAT('x', seq % 50)),
    UNHEX(MD5(seq)), seq / 3 FROM seq_1_to_60000;
CREATE TABLE heap (a INT, b VARCHAR(20));
INSERT INTO heap SELECT seq % 100, CONCAT('h', seq) FROM seq_1_to_40000;
CREATE TABLE `odd``name` (id INT PRIMARY KEY, v CHAR(1));
INSERT INTO `odd``name` VALUES (1, 'a'), (2, NULL);
CREATE TABLE empty (id INT PRIMARY KEY);
CREATE TABLE audit (id INT);
CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW
    INSERT INTO audit VALUES (NEW.id);
CREATE TRIGGER heap_bi BEFORE INSERT ON heap FOR EACH ROW
    SET NEW.b = UPPER(NEW.b);
CREATE VIEW big AS SELECT customer, SUM(amount) s FROM orders GROUP BY customer;
CREATE PROCEDURE p() SELECT COUNT(*) FROM orders;
CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit;
CREATE DATABASE crm;
CREATE TABLE crm.contacts (id INT PRIMARY KEY, shop_customer INT, mail TEXT);
INSERT INTO crm.contacts SELECT seq, seq, CONCAT('m', seq, '@example.org')
    FROM seq_1_to_80000;
SQL
st=$?; ok $st "the source databases are created"; [ $st = 0 ] || sed "s/^/# /" "$TAP_TMP/load.out"
"$dump" -o "$out" -S "$src_SOCK" -d shop -d crm >"$TAP_TMP/dump.out" 2>&1 ||
    bail "cannot dump"
art=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump.out")
n=$(gzip -dc "$art" | grep -c '^INSERT INTO `orders`')
ok "$([ "$n" -gt 3 ]; echo $?)" "the big table takes several INSERT statements ($n)"

# the stock restore: the reference
gzip -dc "$art" | mariadb_client "$dst_SOCK" >"$TAP_TMP/stock.out" 2>&1
ok $? "gunzip -c | mariadb restores the dump" ||
    sed 's/^/# /' "$TAP_TMP/stock.out"
for db in shop crm; do
	db_fingerprint "$dst_SOCK" $db >"$TAP_TMP/stock-$db.fp"
done
mariadb_client "$dst_SOCK" -e "DROP DATABASE shop; DROP DATABASE crm"

"$ctl" restore "$art" --socket "$dst_SOCK" --user root --jobs 3 \
    >"$TAP_TMP/r1.out" 2>"$TAP_TMP/r1.err"
ok $? "cairnctl restore --jobs 3" || sed 's/^/# /' "$TAP_TMP/r1.err"
like "$(cat "$TAP_TMP/r1.out")" 'rows over 3 connections' \
    "the rows went over 3 connections"
for db in shop crm; do
	db_fingerprint "$dst_SOCK" $db >"$TAP_TMP/par-$db.fp"
	db_compare "$db is the same as after a stock restore" \
	    "$TAP_TMP/stock-$db.fp" "$TAP_TMP/par-$db.fp"
done
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM shop.audit")" 0 \
    "the trigger did not fire on the restored rows"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*), SUM(b = UPPER(b))
    FROM shop.heap")" "40000	40000" "every row of heap as it was"

"$ctl" restore "$art" --socket "$dst_SOCK" --user root --jobs 3 \
    >/dev/null 2>"$TAP_TMP/r2.err"
isnt $? 0 "a restore into databases that hold objects is refused"
like "$(cat "$TAP_TMP/r2.err")" 'is not empty' "saying why"

# a single-database dump under another name
"$dump" -o "$out" -S "$src_SOCK" -d crm -s 1700000000 \
    >"$TAP_TMP/dump2.out" 2>&1 || bail "cannot dump crm"
art2=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump2.out")
"$ctl" restore "$art2" --socket "$dst_SOCK" --user root --jobs 2 \
    --database crm2 >"$TAP_TMP/r3.out" 2>"$TAP_TMP/r3.err"
ok $? "restore --database crm2 --jobs 2" || sed 's/^/# /' "$TAP_TMP/r3.err"
like "$(cat "$TAP_TMP/r3.out")" 'database crm2 .*rows over 2 connections' \
    "its rows over 2 connections"
db_fingerprint "$dst_SOCK" crm2 | sed 's/`crm2`/`crm`/g; s/^crm2\([.	]\)/crm\1/' \
    >"$TAP_TMP/crm2.fp"
db_compare "the renamed copy is the same" "$TAP_TMP/stock-crm.fp" \
    "$TAP_TMP/crm2.fp"

# a row the server rejects (a duplicate key in one INSERT line, in a copy
# outside the catalog): the restore fails and says where
mkdir "$TAP_TMP/bad"
bad=$TAP_TMP/bad/$(basename "$art2")
gzip -dc "$art2" | awk '{ print } /^INSERT INTO `contacts`/ && !d { print; d = 1 }' |
    gzip >"$bad"
"$ctl" restore "$bad" --socket "$dst_SOCK" --user root --jobs 2 \
    --database crm3 >/dev/null 2>"$TAP_TMP/r4.err"
isnt $? 0 "a rejected row fails the restore"
like "$(cut -c1-300 "$TAP_TMP/r4.err")" 'loader [12]: line [0-9]*: INSERT: Duplicate entry' \
    "naming the loader, the line and the server's error"

# a client command after an INSERT on its line: the fast check of the rows
# hands the line back to the splitter, which finds it
evil=$TAP_TMP/bad/evil/$(basename "$art2")
mkdir "$TAP_TMP/bad/evil"
gzip -dc "$art2" | awk -v f="$TAP_TMP/pwned" '/^INSERT INTO `contacts`/ && !d {
    print $0 " \\! touch " f; d = 1; next } { print }' | gzip >"$evil"
"$ctl" restore "$evil" --socket "$dst_SOCK" --user root --jobs 2 \
    --database crm4 >/dev/null 2>"$TAP_TMP/r6.err"
isnt $? 0 "a client command in a rows line is refused"
like "$(cut -c1-300 "$TAP_TMP/r6.err")" 'client command "\\!"' "naming it"
ok "$([ ! -e "$TAP_TMP/pwned" ]; echo $?)" "and it did not run"

# system-versioned history: one stream, as before
mariadb_client "$src_SOCK" -e "CREATE DATABASE hist;
    CREATE TABLE hist.v (id INT PRIMARY KEY, n INT) WITH SYSTEM VERSIONING;
    INSERT INTO hist.v VALUES (1, 1); UPDATE hist.v SET n = 2"
"$dump" -o "$out" -S "$src_SOCK" -d hist -s 1700000100 \
    >"$TAP_TMP/dump3.out" 2>&1 || bail "cannot dump hist"
art3=$out/$(sed -n 's/^artifact //p' "$TAP_TMP/dump3.out")
"$ctl" restore "$art3" --socket "$dst_SOCK" --user root --jobs 2 \
    >"$TAP_TMP/r5.out" 2>"$TAP_TMP/r5.err"
ok $? "a dump with system-versioned history restores" ||
    sed 's/^/# /' "$TAP_TMP/r5.err"
like "$(cat "$TAP_TMP/r5.out")" '^restored [^,]*\(.*bytes of SQL\)$' \
    "in one stream"
is "$(mariadb_client "$dst_SOCK" -N -e "SELECT COUNT(*) FROM hist.v
    FOR SYSTEM_TIME ALL")" 2 "with its history"
