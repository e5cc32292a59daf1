#!/usr/bin/env python3
"""t/gen-schema.py -- hostile random schemas for t/66-mysql-roundtrip.sh.

usage: gen-schema.py SEED COUNT INJECT_PATH NAMES_FILE > schema.sql

Writes SQL for the stock `mariadb` client creating COUNT databases drawn
from SEED: identifiers from the whole BMP plus newline, CR, tab, backslash,
quotes, backquotes, comment openers and closers, delimiters and client
commands (`\\! touch INJECT_PATH`, `system ...`); tables of many column
types with rows and comments holding the same in full utf8mb4; views,
triggers, procedures, functions, events and sequences.  NAMES_FILE gets
each database's name as hex, one a line.  Same SEED, same output.
"""
import random
import sys

seed, count, inject, names_file = (int(sys.argv[1]), int(sys.argv[2]),
                                   sys.argv[3], sys.argv[4])
rnd = random.Random(seed)

HOSTILE = ["\n", "\r", "\t", "\\", "'", '"', "`", "*/", "/*!", "/*", "--",
           "-- ", "#", ";", ";;", "$$", "DELIMITER ", "\\g", "\\G", "\\c",
           "\\! touch " + inject, "\nsystem touch " + inject + "\n",
           "\n\\! touch " + inject + "\n", "\nsource /dev/null\n",
           "\nUSE x\n", "\\N", "\\-", "X'61'", " ", "%", "_"]


def bmp_char():
    while True:
        c = rnd.randrange(1, 0x10000)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def any_char():
    while True:
        c = rnd.randrange(1, 0x110000)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def text(n, full=True):
    out = ""
    for _ in range(rnd.randrange(1, n)):
        r = rnd.random()
        if r < 0.4:
            out += rnd.choice(HOSTILE)
        elif r < 0.7:
            out += rnd.choice("abcxyz019_ ")
        else:
            out += any_char() if full else bmp_char()
    return out


def ident(used, maxlen=40):
    """a name the server takes: BMP only, <= 64 characters, no trailing
    space, unique ignoring case (the server folds some namespaces).  CR LF
    may occur: the harness loads this file with --binary-mode, which keeps
    it (plain, the stock client drops that CR, seed 2035)"""
    while True:
        s = text(8, full=False)[:maxlen].rstrip()
        if s and s.lower() not in used:
            used.add(s.lower())
            return s


def q(name):
    return "`" + name.replace("`", "``") + "`"


def lit(s):
    return "'" + (s.replace("\\", "\\\\").replace("'", "\\'")
                   .replace("\n", "\\n").replace("\r", "\\r")) + "'"


TYPES = [
    ("INT", lambda: str(rnd.randrange(-2**31, 2**31))),
    ("BIGINT UNSIGNED", lambda: str(rnd.randrange(0, 2**64))),
    ("DECIMAL(12,3)", lambda: "%d.%03d" % (rnd.randrange(-10**8, 10**8),
                                          rnd.randrange(1000))),
    ("DOUBLE", lambda: repr(rnd.uniform(-1e300, 1e300))),
    ("FLOAT", lambda: repr(rnd.uniform(-1e30, 1e30))),
    ("VARCHAR(40)", lambda: lit(text(10)[:40])),
    ("TEXT", lambda: lit(text(30))),
    ("CHAR(5) CHARACTER SET latin1", lambda: lit("".join(
        rnd.choice("ab\\'\"`\n;#") for _ in range(rnd.randrange(6))))),
    ("BLOB", lambda: "0x" + bytes(rnd.randrange(256) for _ in
                                 range(rnd.randrange(1, 40))).hex()),
    ("VARBINARY(16)", lambda: "0x" + bytes(rnd.randrange(256) for _ in
                                          range(rnd.randrange(1, 16))).hex()),
    ("DATE", lambda: "'%04d-%02d-%02d'" % (rnd.randrange(1000, 9999),
                                            rnd.randrange(1, 13),
                                            rnd.randrange(1, 29))),
    ("DATETIME(3)", lambda: "'2021-%02d-%02d %02d:%02d:%02d.%03d'" % (
        rnd.randrange(1, 13), rnd.randrange(1, 29), rnd.randrange(24),
        rnd.randrange(60), rnd.randrange(60), rnd.randrange(1000))),
    ("TIMESTAMP NULL", lambda: "'2020-%02d-%02d %02d:30:00'" % (
        rnd.randrange(1, 13), rnd.randrange(1, 29), rnd.randrange(24))),
    ("TIME", lambda: "'%02d:%02d:%02d'" % (rnd.randrange(-838, 839),
                                            rnd.randrange(60),
                                            rnd.randrange(60))),
    ("YEAR", lambda: str(rnd.randrange(1901, 2156))),
    ("ENUM('a','b''c','\\\\')", lambda: rnd.choice(["'a'", "'b''c'", "2"])),
    ("SET('x','y')", lambda: rnd.choice(["'x'", "'x,y'", "''"])),
    ("BIT(7)", lambda: "b'%s'" % format(rnd.randrange(128), "b")),
    ("JSON", lambda: lit('{"k": %s}' % lit(text(5)).replace("'", '"'))
     if False else "'{\"k\": 1}'"),
]


USED_DB = set()


def schema(out, names):

    db = ident(USED_DB, 30)
    names.write(db.encode("utf-8").hex() + "\n")
    out.append("CREATE DATABASE %s;\nUSE %s;" % (q(db), q(db)))
    tables = []
    used = set()
    for _ in range(rnd.randrange(1, 4)):
        t = ident(used, 30)
        cused = set()
        cols = []
        for _ in range(rnd.randrange(1, 6)):
            cols.append((ident(cused), rnd.choice(TYPES)))
        body = ", ".join("%s %s COMMENT %s" % (q(c), ty[0], lit(text(6)[:60]))
                         for c, ty in cols)
        out.append("CREATE TABLE %s (%s) COMMENT %s;" % (
            q(t), body, lit(text(6)[:60])))
        for _ in range(rnd.randrange(0, 4)):
            out.append("INSERT INTO %s VALUES (%s);" % (
                q(t), ", ".join(ty[1]() if rnd.random() > 0.1 else "NULL"
                                for _, ty in cols)))
        tables.append((t, cols))
    t, cols = tables[0]
    if rnd.random() < 0.7:
        out.append("CREATE VIEW %s AS SELECT %s AS %s, %s AS s FROM %s;" % (
            q(ident(used)), q(cols[0][0]), q(ident(set())), lit(text(6)),
            q(t)))
    if rnd.random() < 0.6:
        out.append("CREATE SEQUENCE %s;" % q(ident(used)))
    delim = "%%END%%"
    out.append("DELIMITER " + delim)
    if rnd.random() < 0.6:
        out.append("CREATE TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW "
                   "BEGIN SET @g = %s; END%s" % (q(ident(set())), q(t),
                                                 lit(text(6)), delim))
    rused = set()
    if rnd.random() < 0.6:
        out.append("CREATE PROCEDURE %s(%s INT) COMMENT %s BEGIN SELECT %s, "
                   "%s; END%s" % (q(ident(rused)), q("p" + ident(set(), 20)),
                                  lit(text(6)), lit(text(6)), lit(text(4)),
                                  delim))
    if rnd.random() < 0.6:
        out.append("CREATE FUNCTION %s() RETURNS TEXT COMMENT %s RETURN %s%s"
                   % (q(ident(rused)), lit(text(6)), lit(text(6)), delim))
    if rnd.random() < 0.5:
        out.append("CREATE EVENT %s ON SCHEDULE EVERY 1 DAY DISABLE COMMENT "
                   "%s DO SELECT %s%s" % (q(ident(set())), lit(text(6)),
                                          lit(text(6)), delim))
    out.append("DELIMITER ;")


def main():
    out = ["SET NAMES utf8mb4;", "SET sql_mode = '';"]
    with open(names_file, "w") as names:
        for _ in range(count):
            schema(out, names)
    sys.stdout.buffer.write(("\n".join(out) + "\n").encode("utf-8",
                                                           "surrogatepass"))


main()
