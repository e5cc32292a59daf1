/*
 * t/verify-restore-helper -- the restore test against a real MariaDB
 * server, run by t/63-verify-restore.sh with CAIRN_TEST_MYSQL_SOCKET set
 * to a throwaway server's socket.  Prints TAP.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>
#include <zlib.h>

#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "tap.h"

static char	*dir;
static int	 dirfd_;
static MYSQL	*my;

/* Two databases; a view in the second one names the first. */
static const char dump[] =
    "-- cairn dump format 1\n"
    "-- databases: shop, shop2\n"
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
    "/*!40101 SET NAMES utf8mb4 */;\n"
    "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
    "/*!40103 SET TIME_ZONE='+00:00' */;\n"
    "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, "
    "FOREIGN_KEY_CHECKS=0 */;\n"
    "CREATE DATABASE IF NOT EXISTS `shop`;\n"
    "USE `shop`;\n"
    "CREATE TABLE `film` (\n"
    "  `id` int NOT NULL,\n"
    "  `title` varchar(64) DEFAULT NULL,\n"
    "  `data` blob,\n"
    "  PRIMARY KEY (`id`)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
    "-- cairn table `shop`.`film`\n"
    "INSERT INTO `film` (`id`,`title`,`data`) VALUES (1,'it''s; (tricky)',"
    "0x00FF),(2,'back\\\\slash \\' ),(\\n',NULL);\n"
    "INSERT INTO `film` (`id`,`title`,`data`) VALUES (3,'-- not a comment',"
    "X'41'),(4,'shop.film `shop`.x',X'');\n"
    "-- cairn rows `shop`.`film` 4\n"
    "CREATE TABLE `we``ird` (`a` int);\n"
    "-- cairn table `shop`.`we``ird`\n"
    "INSERT INTO `we``ird` (`a`) VALUES (1),(2);\n"
    "-- cairn rows `shop`.`we``ird` 2\n"
    "DELIMITER ;;\n"
    "/*!50003 CREATE*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `film` FOR "
    "EACH ROW BEGIN SET NEW.title = CONCAT(NEW.title, ';'); END */;;\n"
    "DELIMITER ;\n"
    "CREATE DATABASE IF NOT EXISTS `shop2`;\n"
    "USE `shop2`;\n"
    "CREATE TABLE `t` (`x` int);\n"
    "-- cairn table `shop2`.`t`\n"
    "INSERT INTO `t` (`x`) VALUES (7);\n"
    "-- cairn rows `shop2`.`t` 1\n"
    "CREATE VIEW `v` AS SELECT `f`.`id` AS `id` FROM `shop`.`film` `f`;\n"
    "/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n"
    "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
    "-- cairn dump completed 2026-11-24T06:00:01Z\n";

static struct table_stat tables[] = {
	{ "shop.film", 4, 0, 0 },
	{ "shop.we`ird", 2, 0, 0 },
	{ "shop2.t", 1, 0, 0 },
};

static void
put_gz(const char *name, const char *s)
{
	char	*path = xasprintf("%s/%s", dir, name);
	gzFile	 g = gzopen(path, "wb");

	if (g == NULL || gzwrite(g, s, (unsigned)strlen(s)) !=
	    (int)strlen(s) || gzclose(g) != Z_OK)
		bail("gzip %s", path);
	free(path);
}

static char *
edit(const char *from, const char *to)
{
	const char	*p = strstr(dump, from);

	if (p == NULL)
		bail("edit: %s not found", from);
	return xasprintf("%.*s%s%s", (int)(p - dump), dump, to,
	    p + strlen(from));
}

static void
q(const char *sql)
{
	if (mysql_query(my, sql) != 0)
		bail("%s: %s", sql, mysql_error(my));
}

static long long
q1(const char *sql, int col)
{
	MYSQL_RES	*rs;
	MYSQL_ROW	 row;
	long long	 v = -1;

	q(sql);
	if ((rs = mysql_store_result(my)) == NULL)
		return -1;
	if ((row = mysql_fetch_row(rs)) != NULL && row[col] != NULL)
		v = strtoll(row[col], NULL, 10);
	mysql_free_result(rs);
	return v;
}

static int
run(const char *name, struct verify_result *res, int restore_only)
{
	struct verify_expect	 e;
	struct verify_opts	 o;
	struct db_conn		 c;

	memset(&c, 0, sizeof(c));
	c.socket = getenv("CAIRN_TEST_MYSQL_SOCKET");
	c.user = "root";
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	o.restore_test = true;
	o.target = &c;
	o.target_database = "cairn_scratch";
	verify_expect_init(&e);
	e.tables = tables;
	e.ntables = nitems(tables);
	if (restore_only)
		return verify_restore_mysql(dirfd_, name, &e, &o, res);
	return verify_artifact(dirfd_, name, &e, &o, res);
}

int
main(void)
{
	struct verify_result	 res;
	const char		*sock = getenv("CAIRN_TEST_MYSQL_SOCKET");
	const char		*good = "r_backup_20261124_060000.sql.gz";
	const char		*bad = "r_backup_20261124_070000.sql.gz";
	char			*s;
	int			 code;

	if (sock == NULL || *sock == '\0') {
		printf("1..0 # SKIP CAIRN_TEST_MYSQL_SOCKET not set\n");
		return 0;
	}
	plan(12);
	dir = tap_tmpdir();
	if ((dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		bail("open %s", dir);
	if ((my = mysql_init(NULL)) == NULL ||
	    mysql_real_connect(my, NULL, "root", NULL, NULL, 0, sock, 0) ==
	    NULL)
		bail("connect %s: %s", sock, mysql_error(my));
	/* a real `shop` on the target the restore must not touch */
	q("CREATE DATABASE shop");
	q("CREATE TABLE shop.film (id int)");
	q("INSERT INTO shop.film VALUES (100), (101), (102), (103), (104)");

	put_gz(good, dump);
	code = run(good, &res, 0);
	ok(code == CAIRN_E_OK && res.failed == 0 &&
	    (res.ran & (1u << VERIFY_RESTORE)), "a good dump restores and "
	    "matches (%s)", res.message);
	verify_result_free(&res);
	ok(q1("SELECT COUNT(*) FROM shop.film", 0) == 5,
	    "the real database with the same name is untouched");
	ok(q1("SELECT COUNT(*) FROM information_schema.schemata WHERE "
	    "schema_name LIKE 'cairn_scratch%'", 0) == 0,
	    "the scratch databases are dropped afterwards");

	/* ALTER DATABASE around a routine: on the scratch database, never
	 * on the real one of the same name */
	q("ALTER DATABASE shop COLLATE latin1_swedish_ci");
	s = edit("USE `shop`;\n", "USE `shop`;\nALTER DATABASE `shop` COLLATE "
	    "'utf8mb4_bin';\n");
	put_gz(bad, s);
	free(s);
	code = run(bad, &res, 1);
	ok(code == CAIRN_E_OK && q1("SELECT DEFAULT_COLLATION_NAME = "
	    "'latin1_swedish_ci' FROM information_schema.SCHEMATA WHERE "
	    "SCHEMA_NAME = 'shop'", 0) == 1, "ALTER DATABASE `shop` in the "
	    "dump leaves the real shop alone (%s)", res.message);
	verify_result_free(&res);

	/* record checksums the way the dump engine would, from a restore */
	q("CREATE DATABASE ck");
	q("CREATE TABLE ck.film (`id` int NOT NULL, `title` varchar(64) "
	    "DEFAULT NULL, `data` blob, PRIMARY KEY (`id`)) ENGINE=InnoDB "
	    "DEFAULT CHARSET=utf8mb4");
	q("INSERT INTO ck.film VALUES (1,'it''s; (tricky)',0x00FF),"
	    "(2,'back\\\\slash \\' ),(\\n',NULL),(3,'-- not a comment',X'41'),"
	    "(4,'shop.film `shop`.x',X'')");
	tables[0].checksum = (uint64_t)q1("CHECKSUM TABLE ck.film", 1);
	tables[0].has_checksum = 1;
	q("DROP DATABASE ck");
	code = run(good, &res, 0);
	ok(code == CAIRN_E_OK && res.failed == 0, "CHECKSUM TABLE matches "
	    "what was recorded (%s)", res.message);
	verify_result_free(&res);

	/* one row removed, the rows line adjusted: a self-consistent dump
	 * that lost data; the restore test catches it against the catalog */
	s = edit(",(4,'shop.film `shop`.x',X'')", "");
	{
		char	*t = xasprintf("%s", s), *p;

		p = strstr(t, "-- cairn rows `shop`.`film` 4");
		p[strlen("-- cairn rows `shop`.`film` ")] = '3';
		put_gz(bad, t);
		free(t);
	}
	free(s);
	code = run(bad, &res, 1);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message, "restore: table "
	    "shop.film: 3 rows restored, 4 in catalog") == 0,
	    "a row removed: %s", res.message);
	verify_result_free(&res);
	code = run(bad, &res, 0);
	ok(code == CAIRN_E_VERIFY && (res.failed & (1u << VERIFY_ROWS)),
	    "the full verify stops at the row count: %s", res.message);
	verify_result_free(&res);

	/* a changed value: only CHECKSUM TABLE can see it */
	s = edit("(3,'-- not a comment'", "(3,'-- not a commenT'");
	put_gz(bad, s);
	free(s);
	code = run(bad, &res, 0);
	ok(code == CAIRN_E_VERIFY && strstr(res.message, "restore: table "
	    "shop.film: checksum") != NULL, "a changed value: %s",
	    res.message);
	verify_result_free(&res);

	/* a statement the server rejects */
	s = edit("CREATE TABLE `t` (`x` int);", "CREATE TABLE `t` (`x` intt);");
	put_gz(bad, s);
	free(s);
	code = run(bad, &res, 1);
	ok(code == CAIRN_E_VERIFY && strncmp(res.message, "restore: line 29: ",
	    18) == 0, "a failing statement: %s", res.message);
	verify_result_free(&res);
	ok(q1("SELECT COUNT(*) FROM information_schema.schemata WHERE "
	    "schema_name LIKE 'cairn_scratch%'", 0) == 0,
	    "scratch databases dropped after a failure too");

	/* the scratch name may not be one of the dump's databases */
	{
		struct verify_expect	 e;
		struct verify_opts	 o;
		struct db_conn		 c;

		memset(&c, 0, sizeof(c));
		c.socket = (char *)(uintptr_t)sock;
		c.user = "root";
		memset(&o, 0, sizeof(o));
		o.target = &c;
		o.target_database = "shop2";
		verify_expect_init(&e);
		code = verify_restore_mysql(dirfd_, good, &e, &o, &res);
		ok(code == CAIRN_E_VERIFY && strstr(res.message,
		    "scratch database shop2_2 is also in the dump") == NULL &&
		    strstr(res.message, "is also in the dump") != NULL &&
		    q1("SELECT COUNT(*) FROM shop.film", 0) == 5,
		    "a scratch name equal to a dumped database: %s",
		    res.message);
		verify_result_free(&res);
		o.target_database = "mysql";
		code = verify_restore_mysql(dirfd_, good, &e, &o, &res);
		ok(code == CAIRN_E_CONFIG, "a system database as scratch: %s",
		    res.message);
		verify_result_free(&res);
	}

	q("DROP DATABASE shop");
	mysql_close(my);
	unlinkat(dirfd_, good, 0);
	unlinkat(dirfd_, bad, 0);
	close(dirfd_);
	rmdir(dir);
	free(dir);
	return tap_exit();
}
