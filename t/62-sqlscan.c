/*
 * t/62-sqlscan -- the SQL splitter and the INSERT reader.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/sqlscan.h"
#include "cairn/util.h"
#include "tap.h"

/* Every event as one line "K|line|text", for comparisons. */
struct log {
	char	 buf[8192];
	size_t	 len;
	int	 stmts;
	int	 stop_at;	/* return -1 on this statement (0: never) */
	int	 cut;
	unsigned long long total, groups;
};

static int
record(void *arg, const struct sqlscan_item *it)
{
	struct log	*l = arg;
	static const char k[] = "SCDX";
	int		 n;

	n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%c|%llu|%s%s\n",
	    k[it->kind], (unsigned long long)it->line, it->text,
	    it->unterminated ? "|U" : "");
	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
	if (it->kind == SQLSCAN_STMT && ++l->stmts == l->stop_at)
		return -1;
	return 0;
}

static int
keep_item(void *arg, const struct sqlscan_item *it)
{
	struct log	*l = arg;

	if (it->kind == SQLSCAN_STMT) {
		snprintf(l->buf, sizeof(l->buf), "%s", it->text);
		l->cut = it->cut;
		l->total = it->total;
		l->groups = it->groups;
	}
	return 0;
}

static int
scan(const char *in, size_t chunk, struct log *l, char *err, size_t errlen)
{
	struct sqlscan	*s;
	size_t		 n = strlen(in);
	int		 rc = 0;

	memset(l->buf, 0, sizeof(l->buf));
	l->len = 0;
	l->stmts = 0;
	if ((s = sqlscan_new(256, record, l)) == NULL)
		bail("sqlscan_new: %s", strerror(errno));
	for (size_t o = 0; o < n && rc == 0; o += chunk)
		rc = sqlscan_feed(s, in + o, n - o < chunk ? n - o : chunk);
	if (rc == 0)
		rc = sqlscan_end(s);
	if (err != NULL)
		snprintf(err, errlen, "%s", sqlscan_error(s));
	sqlscan_free(s);
	return rc;
}

static const char dump[] =
    "-- cairn dump format 1\n"
    "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */;\n"
    "SET NAMES utf8mb4;\n"
    "USE `a;b`;\n"
    "INSERT INTO `t` VALUES ('x;y','it''s','\\';--'),(\"q\"\"\");\n"
    "  # a hash comment\n"
    "SELECT 1 -- trailing comment ; not a delimiter\n"
    "  , 2--3;\n"
    "DELIMITER ;;\n"
    "CREATE TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n"
    "  SET @x = ';'; SET @y = 1;\n"
    "END ;;\n"
    "delimiter //\n"
    "SELECT '//' /* // */ //\n"
    "DELIMITER ;\n"
    "SELECT 5/2;\n"
    "-- cairn dump completed 2026-11-24T06:00:01Z\n";

static const char want[] =
    "C|1|-- cairn dump format 1\n"
    "S|2|/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */\n"
    "S|3|SET NAMES utf8mb4\n"
    "S|4|USE `a;b`\n"
    "S|5|INSERT INTO `t` VALUES ('x;y','it''s','\\';--'),(\"q\"\"\")\n"
    "C|6|# a hash comment\n"
    "S|7|SELECT 1 \n  , 2--3\n"
    "D|9|;;\n"
    "S|10|CREATE TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n"
    "  SET @x = ';'; SET @y = 1;\nEND\n"
    "D|13|//\n"
    "S|14|SELECT '//' /* // */\n"
    "D|15|;\n"
    "S|16|SELECT 5/2\n"
    "C|17|-- cairn dump completed 2026-11-24T06:00:01Z\n";

static void
test_split(void)
{
	struct log	 l = { .stop_at = 0 };
	char		 whole[8192], err[160];
	int		 same = 1;

	ok(scan(dump, sizeof(dump), &l, err, sizeof(err)) == 0,
	    "a dump scans (%s)", err);
	is_str(l.buf, want, "statements, comments and delimiters as expected");
	memcpy(whole, l.buf, sizeof(whole));
	for (size_t chunk = 1; chunk < 12; chunk++) {
		scan(dump, chunk, &l, NULL, 0);
		if (strcmp(l.buf, whole) != 0) {
			diag("chunk size %zu differs:\n%s", chunk, l.buf);
			same = 0;
		}
	}
	ok(same, "any chunking gives the same statements");
}

static void
test_errors(void)
{
	struct log	 l = { .stop_at = 0 };
	char		 err[160];
	char		 big[300];

	ok(scan("SELECT 'abc;\n", 5, &l, err, sizeof(err)) == -1 &&
	    strstr(err, "string starting at line 1 never ends") != NULL,
	    "unterminated string: %s", err);
	ok(scan("SELECT `abc;\n", 5, &l, err, sizeof(err)) == -1 &&
	    strstr(err, "identifier") != NULL, "unterminated identifier: %s",
	    err);
	ok(scan("SELECT 1 /* abc;\n", 5, &l, err, sizeof(err)) == -1 &&
	    strstr(err, "comment") != NULL, "unterminated comment: %s", err);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(scan(big, 7, &l, err, sizeof(err)) == -1 &&
	    strstr(err, "longer than 256 bytes") != NULL,
	    "statement over the limit: %s", err);
	ok(scan("DELIMITER  \nSELECT 1;", 3, &l, err, sizeof(err)) == -1 &&
	    strstr(err, "DELIMITER without") != NULL, "empty delimiter: %s",
	    err);
	ok(scan("SELECT 1; SELECT 2", 4, &l, err, sizeof(err)) == 0 &&
	    strcmp(l.buf, "S|1|SELECT 1\nS|1|SELECT 2|U\n") == 0,
	    "a last statement without delimiter is flagged");
	l.stop_at = 1;
	ok(scan("SELECT 1; SELECT 2;", 4, &l, err, sizeof(err)) == -1 &&
	    l.stmts == 1 && strstr(err, "stopped") != NULL,
	    "a callback can stop the scan");
	l.stop_at = 0;
	ok(scan("SELECT 1 --", 4, &l, err, sizeof(err)) == 0 &&
	    strcmp(l.buf, "S|1|SELECT 1|U\n") == 0, "-- at the very end");
}

static void
test_insert(void)
{
	char		 db[32], tbl[32];
	uint64_t	 rows = 0;
	const char	*s;

	s = "INSERT INTO `t` (`a`,`b`) VALUES (1,'x'),(2,'y'),(3,'(')";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == 1 && rows == 3 && strcmp(tbl, "t") == 0 &&
	    db[0] == '\0', "three rows, a paren in a string");
	s = "insert ignore into `d`.`we``ird` values ('a\\'),(b', 0x00FF),"
	    "(X'41', \"),(\"),\n(NULL,'') ON DUPLICATE KEY UPDATE a=VALUES(a)";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == 1 && rows == 3 && strcmp(db, "d") == 0 &&
	    strcmp(tbl, "we`ird") == 0, "qualified, escapes, ON DUPLICATE");
	s = "REPLACE INTO t VALUES (1)";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == 1 && rows == 1, "replace");
	s = "INSERT INTO t SELECT * FROM u";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == 0, "INSERT ... SELECT is not counted");
	s = "CREATE TABLE t (a int)";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == 0, "not an insert");
	s = "INSERT INTO t VALUES (1,'x'),(2,'y";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == -1 && errno == EINVAL, "unbalanced quote");
	s = "INSERT INTO t VALUES (1),(2) garbage";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == -1, "trailing garbage");
	s = "INSERT INTO t VALUES (1),";
	ok(sqlscan_insert(s, strlen(s), db, sizeof(db), tbl, sizeof(tbl),
	    &rows) == -1, "dangling comma");
	s = "USE `x``y`";
	ok(sqlscan_use(s, strlen(s), db, sizeof(db)) == 1 &&
	    strcmp(db, "x`y") == 0, "USE");
	s = "USE x y";
	ok(sqlscan_use(s, strlen(s), db, sizeof(db)) == 0, "USE with junk");
	s = "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 "
	    "DEFAULT CHARACTER SET utf8mb4 */";
	ok(sqlscan_create_db(s, strlen(s), db, sizeof(db)) == 1 &&
	    strcmp(db, "shop") == 0, "CREATE DATABASE, mysqldump style");
	s = "CREATE DATABASE IF NOT EXISTS `shop2`";
	ok(sqlscan_create_db(s, strlen(s), db, sizeof(db)) == 1 &&
	    strcmp(db, "shop2") == 0, "CREATE DATABASE IF NOT EXISTS");
	s = "CREATE TABLE `x` (a int)";
	ok(sqlscan_create_db(s, strlen(s), db, sizeof(db)) == 0,
	    "CREATE TABLE is not CREATE DATABASE");
}

/* the dump_grants statements the verifier's restore test leaves out */
static void
test_account(void)
{
	static const struct {
		const char	*s;
		int		 want;
	} c[] = {
		{ "CREATE USER IF NOT EXISTS 'a'@'%' IDENTIFIED BY PASSWORD "
		    "'*00'", 1 },
		{ "create role if not exists 'r'", 1 },
		{ "  GRANT SELECT ON * TO 'a'@'%'", 1 },
		{ "GRANT 'r' TO 'a'@'%'", 1 },
		{ "SET DEFAULT ROLE 'r' FOR 'a'@'%'", 1 },
		{ "CREATE TABLE `user` (a int)", 0 },
		{ "CREATE USERS", 0 },
		{ "SET sql_mode = ''", 0 },
		{ "GRANTED", 0 },
		{ "INSERT INTO `grant` VALUES (1)", 0 },
	};

	for (size_t i = 0; i < nitems(c); i++)
		ok(sqlscan_account(c[i].s, strlen(c[i].s)) == c[i].want,
		    "account statement or not: %s", c[i].s);
}

/* what the stock client would run as its own commands (X lines) */
static void
test_client(void)
{
	static const struct {
		const char	*in, *want, *what;
	} cases[] = {
		{ "SELECT 1;\n\\! touch /tmp/x\n", "S|1|SELECT 1\nX|2|\\!\n"
		    "S|2|touch /tmp/x|U\n", "a backslash command" },
		{ "-- `a\nsystem touch /tmp/x\n",
		    "C|1|-- `a\nX|2|system\nX|2|system\n"
		    "S|2|system touch /tmp/x|U\n",
		    "a command word on a line of its own" },
		{ "USE `a\nb`;\n", "X|1|use\nS|1|USE `a\nb`\n",
		    "USE cut in two by a newline" },
		{ "/**/USE `a\nb`;\n", "S|1|/**/USE `a\nb`\n",
		    "USE behind an empty comment" },
		{ "SELECT 'a\\!', `b\\!`, \"c\\!\" /* \\! */;\n",
		    "S|1|SELECT 'a\\!', `b\\!`, \"c\\!\" /* \\! */\n",
		    "no command inside strings, identifiers, comments" },
		{ "/*!99999 \\! x */;\n", "X|1|\\!\nS|1|/*!99999  x */\n",
		    "executable comments are text to the client" },
		{ "/*M!999999\\- enable the sandbox mode */\nSELECT 1;\n",
		    "S|1|/*M!999999 enable the sandbox mode */\nSELECT 1\n",
		    "the sandbox switch is no finding" },
		{ "SET sql_mode = 'NO_BACKSLASH_ESCAPES';\nSELECT 'a\\';\n",
		    "S|1|SET sql_mode = 'NO_BACKSLASH_ESCAPES'\n"
		    "S|2|SELECT 'a\\'\n", "NO_BACKSLASH_ESCAPES set by the dump" },
		{ "SET sql_mode = 'ANSI';\nSELECT \"a\\\";\n",
		    "S|1|SET sql_mode = 'ANSI'\nS|2|SELECT \"a\\\"\n",
		    "ANSI_QUOTES set by the dump" },
		{ "SELECT 1 /*!50000 ; */;\n", "S|1|SELECT 1 /*!50000\n"
		    "S|1|*/\n", "a delimiter inside an executable comment" },
	};
	struct log	 l = { .stop_at = 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan(cases[i].in, 1000, &l, NULL, 0);
		is_str(l.buf, cases[i].want, "%s", cases[i].what);
	}
	{
		const char	*p = "X'610a62'.`t` 3";
		char		 a[16], b[16];

		ok(sqlscan_ident(&p, p + strlen(p), a, sizeof(a)) == 0 &&
		    strcmp(a, "a\nb") == 0 && *p == '.' && (p++,
		    sqlscan_ident(&p, p + strlen(p), b, sizeof(b))) == 0 &&
		    strcmp(b, "t") == 0, "a marker's X'hex' name reads back");
	}
}

/* a statement longer than what is kept: counted, not held */
static void
test_keep(void)
{
	struct log	 l = { .stop_at = 0 };
	struct sqlscan	*s;
	char		 db[16], tbl[16];
	int		 has_cols = 0;
	static char	 in[200000];
	size_t		 n;

	n = (size_t)snprintf(in, sizeof(in), "INSERT INTO `t` (`a`) VALUES ");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s('x(%d'),",
		    i == 0 ? "" : "", i);
	in[n - 1] = ';';
	if ((s = sqlscan_new(1 << 20, keep_item, &l)) == NULL)
		bail("sqlscan_new");
	sqlscan_keep(s, 100);
	ok(sqlscan_feed(s, in, n) == 0 && sqlscan_end(s) == 0,
	    "a long INSERT scans with 100 bytes kept");
	ok(l.cut && l.total == n - 1 && l.groups == 5001,
	    "it is given cut, with its length and its groups (%d %llu %llu)",
	    l.cut, (unsigned long long)l.total,
	    (unsigned long long)l.groups);
	ok(sqlscan_insert_head(l.buf, strlen(l.buf), db, sizeof(db), tbl,
	    sizeof(tbl), &has_cols) == 1 && strcmp(tbl, "t") == 0 && has_cols,
	    "its head reads: table t, a column list");
	sqlscan_free(s);
}

/* sqlscan_names_db(): where a statement names a database as a qualifier */
static void
test_names_db(void)
{
	static const struct {
		const char	*stmt;
		int		 quoting;
		long		 want;	/* offset of the name, -1: none */
	} c[] = {
		{ "SELECT COUNT(*) FROM `src`.`t`", 0, 21 },
		{ "SELECT 1 FROM src.t", 0, 14 },
		{ "DELETE FROM src /* x */ . t", 0, 12 },
		{ "DELETE FROM `src`\n  .`log`", 0, 12 },
		{ "SELECT SRC.t.id FROM x", 0, 7 },	/* lower_case_table_names */
		{ "CALL `src`.`p`()", 0, 5 },
		{ "SELECT /*!50001 src.t */ 1", 0, 16 },
		{ "SELECT /*M!100100 `src`.f() */ 1", 0, 18 },
		{ "SELECT \"src\".t", SQLSCAN_ANSI_QUOTES, 7 },
		/* a string ending in a backslash, then the name: with
		 * NO_BACKSLASH_ESCAPES the string ends there */
		{ "SELECT 'a\\', src.t", SQLSCAN_NO_BS_ESCAPES, 13 },
		{ "SELECT 'a\\', src.t", 0, -1 },
		{ "SELECT 'src.t', \"src\".t", 0, -1 },	/* strings */
		{ "SELECT 'it''s', `src`.t", 0, 16 },
		{ "SELECT 1 /* src.t */, 2 # src.t\n", 0, -1 },
		{ "SELECT 1 -- src.t\n", 0, -1 },
		{ "SELECT 1 FROM t AS src", 0, -1 },	/* no '.' after */
		{ "SELECT 1 FROM mysrc.t, src_x.t, `src `.t, `sr`.t", 0, -1 },
		{ "SELECT `a``src`.t, x.`src`", 0, -1 },
		{ "SELECT 1.5, src2.t", 0, -1 },
		{ "", 0, -1 },
	};

	char	 vis[200];

	for (size_t i = 0; i < nitems(c); i++) {
		long	 got = (long)sqlscan_names_db(c[i].stmt, strlen(c[i].stmt),
			    "src", c[i].quoting);

		util_vis(vis, sizeof(vis), c[i].stmt);
		ok(got == c[i].want, "names_db(%s): %ld, want %ld", vis, got,
		    c[i].want);
	}
	ok(sqlscan_names_db("SELECT `a``b`.t", 15, "a`b", 0) == 7,
	    "a name holding a backquote, doubled");
	ok(sqlscan_names_db("SELECT `src`", 12, "src", 0) == -1 &&
	    sqlscan_names_db("SELECT `src", 11, "src", 0) == -1,
	    "no '.' after it, or an identifier that never ends");
}

/* sqlscan_create_object(): the kind and name a CREATE statement makes */
static void
test_create_object(void)
{
	static const struct {
		const char	*stmt;
		const char	*kind, *name;	/* NULL: not one */
	} c[] = {
		{ "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nSELECT 1",
		    "PROCEDURE", "p" },
		{ "CREATE DEFINER=`root`@`localhost` FUNCTION `f``x`() RETURNS "
		    "int(11)", "FUNCTION", "f`x" },
		{ "CREATE DEFINER=root@localhost AGGREGATE FUNCTION f() RETURNS "
		    "INT", "FUNCTION", "f" },
		{ "CREATE DEFINER=`root`@`localhost` TRIGGER src.trg AFTER "
		    "INSERT ON src.t FOR EACH ROW SET @a = 1", "TRIGGER", "trg" },
		{ "CREATE DEFINER=`root`@`localhost` EVENT `ev` ON SCHEDULE "
		    "EVERY 1 DAY DO DELETE FROM t", "EVENT", "ev" },
		{ "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL "
		    "SECURITY DEFINER VIEW `v` AS select 1", "VIEW", "v" },
		{ "CREATE OR REPLACE DEFINER=`root`@`%` PACKAGE BODY `pk` AS "
		    "BEGIN END", "PACKAGE BODY", "pk" },
		{ "CREATE DEFINER=`root`@`%` PACKAGE `pk` AS PROCEDURE p(); END",
		    "PACKAGE", "pk" },
		{ "CREATE PROCEDURE IF NOT EXISTS p() SELECT 1", "PROCEDURE",
		    "p" },
		{ "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ "
		    "/*!50003 TRIGGER `t1` BEFORE INSERT ON `t` FOR EACH ROW SET "
		    "@a = 1 */", "TRIGGER", "t1" },
		{ "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER="
		    "`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW "
		    "`v1` AS select 1 */", "VIEW", "v1" },
		{ "CREATE TABLE `procedure` (a INT)", NULL, NULL },
		{ "CREATE DATABASE `view`", NULL, NULL },
		{ "CREATE SEQUENCE `s`", NULL, NULL },
		{ "INSERT INTO `t` VALUES (1)", NULL, NULL },
		{ "CREATE", NULL, NULL },
	};
	char	 kind[16], name[64], vis[40];

	for (size_t i = 0; i < nitems(c); i++) {
		int	 r = sqlscan_create_object(c[i].stmt, strlen(c[i].stmt),
			    kind, sizeof(kind), name, sizeof(name));

		util_vis(vis, sizeof(vis), c[i].stmt);

		if (c[i].kind == NULL)
			ok(r == 0, "create_object(%s): not one", vis);
		else
			ok(r == 1 && strcmp(kind, c[i].kind) == 0 &&
			    strcmp(name, c[i].name) == 0,
			    "create_object(%s): %s %s", vis,
			    r == 1 ? kind : "-", r == 1 ? name : "-");
	}
}

/* sqlscan_quoting(): the sql_mode the dump set last */
static void
test_quoting(void)
{
	struct log	 l = { .stop_at = 0 };
	struct sqlscan	*s;
	const char	*in = "SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES';\n";

	if ((s = sqlscan_new(0, record, &l)) == NULL)
		bail("sqlscan_new");
	ok(sqlscan_quoting(s) == 0, "the default quoting");
	(void)sqlscan_feed(s, in, strlen(in));
	ok(sqlscan_quoting(s) == (SQLSCAN_ANSI_QUOTES | SQLSCAN_NO_BS_ESCAPES),
	    "after SET sql_mode: ANSI_QUOTES and NO_BACKSLASH_ESCAPES");
	sqlscan_free(s);
}

/* the verifier's fast path: one whole INSERT line, or not */
static void
test_rows_line(void)
{
	static const struct {
		const char	*line;
		int		 want;
		uint64_t	 groups;
	} cases[] = {
		{ "INSERT INTO `t` VALUES (1,'a'),(2,'b');", 1, 2 },
		{ "INSERT INTO `t` (`a`,`b`) VALUES (1,'(;)'),(2,NULL);", 1, 3 },
		{ "INSERT INTO `t` VALUES ('it''s \\' #',\"q\"\"\"),(-1);  ", 1, 2 },
		{ "INSERT INTO `a``(b` VALUES (1);\t", 1, 1 },
		{ "INSERT INTO `t` VALUES (1); SELECT 2;", 0, 0 },
		{ "INSERT INTO `t` VALUES (1) # c;", 0, 0 },
		{ "INSERT INTO `t` VALUES (1) -- c;", 0, 0 },
		{ "INSERT INTO `t` VALUES (--1);", 0, 0 },
		{ "INSERT INTO `t` VALUES (1/2);", 0, 0 },
		{ "INSERT INTO `t` VALUES (1)\\! ls;", 0, 0 },
		{ "INSERT INTO `t` VALUES ('a", 0, 0 },
		{ "INSERT INTO `t` VALUES ((1);", 0, 0 },
		{ "INSERT INTO `t` VALUES (1);\r", 0, 0 },
		{ "INSERT INTO `t\x01` VALUES (1);", 1, 1 },
		{ "INSERT INTO t VALUES (1)\x01;", 0, 0 },
		{ "insert into `t` VALUES (1);", 0, 0 },
	};
	uint64_t	 g;
	int		 okay = 1;

	for (size_t i = 0; i < nitems(cases); i++) {
		int	 r;

		g = 0;
		r = sqlscan_rows_line(cases[i].line, strlen(cases[i].line), &g);
		if (r != cases[i].want || (r == 1 && g != cases[i].groups)) {
			diag("%s: got %d, %llu groups", cases[i].line, r,
			    (unsigned long long)g);
			okay = 0;
		}
	}
	ok(okay, "sqlscan_rows_line: %zu lines, clean INSERTs only",
	    nitems(cases));
}

int
main(void)
{
	plan(3 + 8 + 13 + 11 + 3 + 10 + 22 + 16 + 2 + 1);
	test_keep();
	test_split();
	test_errors();
	test_insert();
	test_client();
	test_account();
	test_names_db();
	test_create_object();
	test_quoting();
	test_rows_line();
	return tap_exit();
}
