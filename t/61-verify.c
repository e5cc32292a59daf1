/*
 * t/61-verify -- the verify checks on artifacts built here: good ones pass,
 * every kind of damage is caught with the right cause.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>

#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "tap.h"

static char	*dir;
static int	 dirfd_;

static const char good_dump[] =
    "-- cairn dump format 1\n"
    "-- host: localhost, server 10.11.6-MariaDB\n"
    "-- databases: shop\n"
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
    "SET NAMES utf8mb4;\n"
    "CREATE DATABASE IF NOT EXISTS `shop`;\n"
    "USE `shop`;\n"
    "CREATE TABLE `film` (\n"
    "  `id` int NOT NULL,\n"
    "  `title` varchar(64) DEFAULT NULL, -- the title; really\n"
    "  `data` blob,\n"
    "  PRIMARY KEY (`id`)\n"
    ");\n"
    "-- cairn table `shop`.`film`\n"
    "INSERT INTO `film` (`id`,`title`,`data`) VALUES (1,'it''s; (tricky)',"
    "0x00FF),(2,'back\\\\slash \\' ),(',NULL);\n"
    "INSERT INTO `film` (`id`,`title`,`data`) VALUES (3,'-- not a comment',"
    "X'41');\n"
    "-- cairn rows `shop`.`film` 3\n"
    "CREATE TABLE `we``ird` (`a` int);\n"
    "-- cairn table `shop`.`we``ird`\n"
    "INSERT INTO `we``ird` (`a`) VALUES (1),(2);\n"
    "-- cairn rows `shop`.`we``ird` 2\n"
    "CREATE TABLE `empty` (`a` int);\n"
    "-- cairn table `shop`.`empty`\n"
    "-- cairn rows `shop`.`empty` 0\n"
    "DELIMITER ;;\n"
    "/*!50003 CREATE*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `film` FOR "
    "EACH ROW BEGIN SET NEW.title = CONCAT(NEW.title, ';'); END */;;\n"
    "DELIMITER ;\n"
    "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n"
    "-- cairn dump completed 2026-11-24T06:00:01Z\n";

static const struct table_stat good_tables[] = {
	{ "shop.film", 3, 0, 0 },
	{ "shop.we`ird", 2, 0, 0 },
	{ "shop.empty", 0, 0, 0 },
};

/* ---- building artifacts ---- */

struct buf {
	unsigned char	*p;
	size_t		 n;
};

static struct buf
gzip_buf(const void *in, size_t n)
{
	z_stream	 z;
	struct buf	 b;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		bail("deflateInit2");
	b.p = xmalloc(deflateBound(&z, n) + 64);
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = b.p;
	z.avail_out = (uInt)deflateBound(&z, n) + 64;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		bail("deflate");
	b.n = z.total_out;
	deflateEnd(&z);
	return b;
}

static struct buf
zstd_buf(const void *in, size_t n)
{
	struct buf	 b;
	size_t		 r;

	ZSTD_CCtx	*c = ZSTD_createCCtx();

	/* with the content checksum, as the writer writes it */
	b.p = xmalloc(ZSTD_compressBound(n));
	if (c == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(c,
	    ZSTD_c_checksumFlag, 1)))
		bail("zstd");
	r = ZSTD_compress2(c, b.p, ZSTD_compressBound(n), in, n);
	ZSTD_freeCCtx(c);
	if (ZSTD_isError(r))
		bail("zstd");
	b.n = r;
	return b;
}

static void
put(const char *name, const void *p, size_t n)
{
	int	 fd;

	fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1 || util_write_all(fd, p, n) != (ssize_t)n)
		bail("write %s: %s", name, strerror(errno));
	close(fd);
}

static void
sha_hex(char out[65], const void *p, size_t n)
{
	unsigned char	 md[32];
	unsigned int	 len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	util_hex(out, md, 32);
}

/* Verify NAME with the expectation built from (p, n) when with_sums. */
static int
check(const char *name, const struct buf *b, size_t raw, int with_sums,
    const struct table_stat *tables, size_t ntables,
    struct verify_result *res)
{
	struct verify_expect	 e;
	struct verify_opts	 o;
	char			 hex[65];
	int			 code;

	verify_expect_init(&e);
	if (with_sums && b != NULL) {
		sha_hex(hex, b->p, b->n);
		e.sha256_hex = hex;
		e.stored_bytes = (int64_t)b->n;
		e.raw_bytes = (int64_t)raw;
	}
	e.tables = tables;
	e.ntables = ntables;
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	code = verify_artifact(dirfd_, name, &e, &o, res);
	return code;
}

#define FAILED(res, c)	(((res).failed & (1u << (c))) != 0)

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
test_good(void)
{
	struct verify_result	 res;
	struct buf		 gz = gzip_buf(good_dump, strlen(good_dump));
	struct buf		 zs = zstd_buf(good_dump, strlen(good_dump));
	struct buf		 raw = { (unsigned char *)(uintptr_t)good_dump,
				    strlen(good_dump) };
	int			 code;
	const struct table_stat	*t;

	put("a_backup_20261124_060000.sql.gz", gz.p, gz.n);
	code = check("a_backup_20261124_060000.sql.gz", &gz, raw.n, 1,
	    good_tables, 3, &res);
	ok(code == CAIRN_E_OK && res.failed == 0 && res.message[0] == '\0',
	    "a good gzip dump passes every check (%s)", res.message);
	ok((res.ran & 0x1f) == 0x1f, "stream, sha256, size, format, rows ran "
	    "(%#x)", res.ran);
	t = NULL;
	for (size_t i = 0; i < res.ntables; i++)
		if (strcmp(res.tables[i].name, "shop.film") == 0)
			t = &res.tables[i];
	ok(res.ntables == 3 && t != NULL && t->rows == 3 &&
	    res.raw_bytes == raw.n && res.stored_bytes == gz.n,
	    "counts and sizes reported");
	verify_result_free(&res);

	put("a_backup_20261124_060000.sql.zst", zs.p, zs.n);
	code = check("a_backup_20261124_060000.sql.zst", &zs, raw.n, 1,
	    good_tables, 3, &res);
	ok(code == CAIRN_E_OK && res.failed == 0, "a good zstd dump passes "
	    "(%s)", res.message);
	verify_result_free(&res);

	put("a_backup_20261124_060000.sql", raw.p, raw.n);
	code = check("a_backup_20261124_060000.sql", &raw, raw.n, 1,
	    good_tables, 3, &res);
	ok(code == CAIRN_E_OK && res.failed == 0, "an uncompressed dump "
	    "passes (%s)", res.message);
	verify_result_free(&res);

	{
		/* two gzip members, as a block-parallel writer may write */
		size_t		 half = raw.n / 2;
		struct buf	 g1 = gzip_buf(raw.p, half);
		struct buf	 g2 = gzip_buf(raw.p + half, raw.n - half);
		struct buf	 both;

		both.n = g1.n + g2.n;
		both.p = xmalloc(both.n);
		memcpy(both.p, g1.p, g1.n);
		memcpy(both.p + g1.n, g2.p, g2.n);
		put("m_backup_20261124_060000.sql.gz", both.p, both.n);
		code = check("m_backup_20261124_060000.sql.gz", &both, raw.n,
		    1, good_tables, 3, &res);
		ok(code == CAIRN_E_OK && res.failed == 0, "a two-member gzip "
		    "passes (%s)", res.message);
		verify_result_free(&res);
		/* and garbage after the last member is caught */
		both.p = realloc(both.p, both.n + 3);
		memcpy(both.p + both.n, "xyz", 3);
		both.n += 3;
		put("m_backup_20261124_060000.sql.gz", both.p, both.n);
		code = check("m_backup_20261124_060000.sql.gz", NULL, 0, 0,
		    NULL, 0, &res);
		ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_STREAM) &&
		    starts(res.message, "gzip: trailing garbage after member 2"),
		    "trailing garbage: %s", res.message);
		verify_result_free(&res);
		free(g1.p);
		free(g2.p);
		free(both.p);
	}
	free(gz.p);
	free(zs.p);
}

/* Does b still gunzip to good_dump (a flip in unused padding bits)? */
static int
same_data(const struct buf *b, size_t raw)
{
	z_stream	 z;
	unsigned char	*out = xmalloc(raw + 16);
	int		 r, same;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		bail("inflateInit2");
	z.next_in = b->p;
	z.avail_in = (uInt)b->n;
	z.next_out = out;
	z.avail_out = (uInt)raw + 16;
	r = inflate(&z, Z_FINISH);
	same = r == Z_STREAM_END && z.total_out == raw &&
	    memcmp(out, good_dump, raw) == 0 && z.avail_in == 0;
	inflateEnd(&z);
	free(out);
	return same;
}

static void
test_damage(void)
{
	struct verify_result	 res;
	struct buf		 gz = gzip_buf(good_dump, strlen(good_dump));
	struct buf		 bad;
	size_t			 raw = strlen(good_dump), missed = 0,
				 missed_nosha = 0, notstream = 0;
	const char		*name = "d_backup_20261124_060000.sql.gz";
	int			 code;
	char			 hex[65];
	struct verify_expect	 e;

	bad.p = xmalloc(gz.n);
	/* one flipped byte anywhere */
	for (size_t i = 0; i < gz.n; i++) {
		memcpy(bad.p, gz.p, gz.n);
		bad.n = gz.n;
		bad.p[i] ^= 0x10;
		put(name, bad.p, bad.n);
		/* with the catalog's sha256 every flip is caught */
		verify_expect_init(&e);
		sha_hex(hex, gz.p, gz.n);
		e.sha256_hex = hex;
		code = verify_artifact(dirfd_, name, &e, NULL, &res);
		if (code != CAIRN_E_VERIFY || !FAILED(res, VERIFY_SHA256))
			missed++;
		verify_result_free(&res);
		/* without it, all but the gzip header's unprotected bytes
		 * (MTIME, XFL, OS: 4..9) are caught by the stream itself */
		code = check(name, NULL, 0, 0, good_tables, 3, &res);
		if ((i >= 4 && i <= 9) || same_data(&bad, raw))
			;	/* unprotected, or unused padding bits */
		else if (code != CAIRN_E_VERIFY) {
			diag("flip at %zu of %zu missed", i, gz.n);
			missed_nosha++;
		}
		else if (!FAILED(res, VERIFY_STREAM)) {
			diag("flip at %zu of %zu: %s", i, gz.n, res.message);
			notstream++;
		}
		verify_result_free(&res);
	}
	ok(missed == 0, "every one of %zu flipped bytes fails sha256", gz.n);
	ok(missed_nosha == 0 && notstream == 0, "without a sha256, every "
	    "flip outside the header's mtime/xfl/os and the final padding bits "
	    "fails the stream "
	    "(%zu missed, %zu caught otherwise)", missed_nosha, notstream);

	/* header, middle, trailer CRC, trailer length: the causes */
	memcpy(bad.p, gz.p, gz.n);
	bad.p[0] ^= 0xff;
	put(name, bad.p, gz.n);
	code = check(name, &gz, raw, 1, NULL, 0, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "gzip: incorrect header check at byte 2") == 0 &&
	    FAILED(res, VERIFY_SHA256) && FAILED(res, VERIFY_STREAM),
	    "header: %s", res.message);
	verify_result_free(&res);

	memcpy(bad.p, gz.p, gz.n);
	bad.p[gz.n - 8] ^= 0x01;
	put(name, bad.p, gz.n);
	code = check(name, &gz, raw, 1, NULL, 0, &res);
	ok(code == CAIRN_E_VERIFY && starts(res.message,
	    "gzip: incorrect data check at byte"), "trailer crc: %s",
	    res.message);
	ok(starts(res.detail[VERIFY_SHA256], "sha256 mismatch: catalog "),
	    "and the sha256: %s", res.detail[VERIFY_SHA256]);
	verify_result_free(&res);

	memcpy(bad.p, gz.p, gz.n);
	bad.p[gz.n - 2] ^= 0x01;
	put(name, bad.p, gz.n);
	code = check(name, NULL, 0, 0, NULL, 0, &res);
	ok(code == CAIRN_E_VERIFY && starts(res.message,
	    "gzip: incorrect length check"), "trailer length: %s",
	    res.message);
	verify_result_free(&res);

	memcpy(bad.p, gz.p, gz.n);
	bad.p[gz.n / 2] ^= 0x55;
	put(name, bad.p, gz.n);
	code = check(name, NULL, 0, 0, NULL, 0, &res);
	ok(code == CAIRN_E_VERIFY && starts(res.message, "gzip: "),
	    "middle: %s", res.message);
	verify_result_free(&res);

	/* truncation */
	{
		size_t	 cuts[] = { gz.n - 1, gz.n - 4, gz.n - 8, gz.n / 2, 10,
		    1 };
		int	 all = 1;

		for (size_t i = 0; i < nitems(cuts); i++) {
			put(name, gz.p, cuts[i]);
			code = check(name, &gz, raw, 1, NULL, 0, &res);
			if (code != CAIRN_E_VERIFY || !starts(res.message,
			    "gzip: unexpected end of file") ||
			    !FAILED(res, VERIFY_SIZE)) {
				diag("cut at %zu: %s", cuts[i], res.message);
				all = 0;
			}
			verify_result_free(&res);
		}
		ok(all, "truncated anywhere: gzip: unexpected end of file");
		put(name, gz.p, 0);
		code = check(name, NULL, 0, 0, NULL, 0, &res);
		ok(code == CAIRN_E_VERIFY && strcmp(res.message,
		    "gzip: empty file") == 0, "empty: %s", res.message);
		verify_result_free(&res);
	}

	/* a valid gzip of other data */
	{
		static const char other[] = "hello, world\n";
		struct buf	 o = gzip_buf(other, sizeof(other) - 1);

		put(name, o.p, o.n);
		code = check(name, &gz, raw, 1, good_tables, 3, &res);
		ok(code == CAIRN_E_VERIFY && !FAILED(res, VERIFY_STREAM) &&
		    starts(res.message, "sha256 mismatch: catalog ") &&
		    FAILED(res, VERIFY_SIZE) && FAILED(res, VERIFY_FORMAT),
		    "other data: %s", res.message);
		verify_result_free(&res);
		code = check(name, NULL, 0, 0, NULL, 0, &res);
		ok(code == CAIRN_E_VERIFY && strcmp(res.message,
		    "format: line 1 is not \"-- cairn dump format 1\"") == 0,
		    "other data, no catalog: %s", res.message);
		verify_result_free(&res);
		free(o.p);
	}

	/* zstd damage */
	{
		struct buf	 zs = zstd_buf(good_dump, raw);
		const char	*zn = "d_backup_20261124_060000.sql.zst";

		put(zn, zs.p, zs.n - 3);
		code = check(zn, NULL, 0, 0, NULL, 0, &res);
		ok(code == CAIRN_E_VERIFY && starts(res.message,
		    "zstd: unexpected end of file"), "zstd truncated: %s",
		    res.message);
		verify_result_free(&res);
		zs.p[zs.n / 2] ^= 0x40;
		put(zn, zs.p, zs.n);
		code = check(zn, NULL, 0, 0, NULL, 0, &res);
		ok(code == CAIRN_E_VERIFY && (starts(res.message, "zstd: ") ||
		    FAILED(res, VERIFY_FORMAT) || FAILED(res, VERIFY_ROWS)),
		    "zstd flipped: %s", res.message);
		verify_result_free(&res);
		free(zs.p);
	}
	free(bad.p);
	free(gz.p);
}

/* Replace the first occurrence of from by to in good_dump; gzip; verify. */
static int
check_edit(const char *from, const char *to, const struct table_stat *t,
    size_t nt, struct verify_result *res)
{
	char		*s, *p;
	size_t		 n = strlen(good_dump) + strlen(to) + 1;
	struct buf	 b;
	int		 code;

	s = xmalloc(n);
	if ((p = strstr(good_dump, from)) == NULL)
		bail("edit: %s not found", from);
	snprintf(s, n, "%.*s%s%s", (int)(p - good_dump), good_dump, to,
	    p + strlen(from));
	b = gzip_buf(s, strlen(s));
	put("e_backup_20261124_060000.sql.gz", b.p, b.n);
	code = check("e_backup_20261124_060000.sql.gz", &b, strlen(s), 1, t,
	    nt, res);
	free(b.p);
	free(s);
	return code;
}

static void
test_content(void)
{
	struct verify_result	 res;
	struct table_stat	 t[3];
	int			 code;

	code = check_edit("-- cairn dump completed 2026-11-24T06:00:01Z\n", "",
	    good_tables, 3, &res);
	ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_FORMAT) &&
	    strstr(res.message, "completion marker") != NULL,
	    "missing completion marker: %s", res.message);
	verify_result_free(&res);

	code = check_edit("2026-11-24T06:00:01Z\n", "2026-11-24T06:00:01Z\n"
	    "SELECT 1;\n", good_tables, 3, &res);
	ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_FORMAT),
	    "something after the marker: %s", res.message);
	verify_result_free(&res);

	code = check_edit("2026-11-24T06:00:01Z\n", "2026-11-24T06:00:01Z",
	    good_tables, 3, &res);
	ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_FORMAT),
	    "marker without its newline: %s", res.message);
	verify_result_free(&res);

	code = check_edit("(2,'back", "(2,'back", good_tables, 3, &res);
	ok(code == CAIRN_E_OK, "an identity edit passes (%s)", res.message);
	verify_result_free(&res);

	code = check_edit(",(2,'back\\\\slash \\' ),(',NULL)", "", good_tables,
	    3, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "table shop.film: 2 rows in dump, 3 recorded") == 0,
	    "a table lost a row: %s", res.message);
	ok(strstr(res.detail[VERIFY_ROWS], "3 recorded") != NULL &&
	    !FAILED(res, VERIFY_FORMAT), "only the rows check failed");
	verify_result_free(&res);

	memcpy(t, good_tables, sizeof(t));
	t[1].rows = 3;
	code = check_edit("(2,'back", "(2,'back", t, 3, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "table shop.we`ird: 2 rows in dump, 3 in catalog") == 0,
	    "dump and catalog disagree: %s", res.message);
	verify_result_free(&res);

	code = check_edit("(2,'back", "(2,'back", good_tables, 2, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "table shop.empty: in dump, not in catalog") == 0,
	    "a table the catalog does not know: %s", res.message);
	verify_result_free(&res);

	code = check_edit("-- cairn rows `shop`.`we``ird` 2\n", "", good_tables,
	    3, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "table shop.we`ird: 2 rows in dump, no rows line") == 0,
	    "a rows line missing: %s", res.message);
	verify_result_free(&res);

	code = check_edit("/*!40101 SET CHARACTER_SET_CLIENT=", "SET @x='abc;",
	    good_tables, 3, &res);
	ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_ROWS) &&
	    starts(res.message, "sql: ") &&
	    strstr(res.message, "never ends") != NULL,
	    "an unterminated string: %s", res.message);
	verify_result_free(&res);

	code = check_edit("VALUES (1),(2)", "VALUES (1),(2", good_tables, 3,
	    &res);
	ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_ROWS),
	    "a broken INSERT: %s", res.message);
	verify_result_free(&res);
}

/* ---- SQLite ---- */

static void
sq(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		bail("sqlite: %s: %s", sql, err);
}

static struct buf
slurp(const char *path)
{
	struct buf	 b;
	int		 fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t		 len;

	if (fd == -1 || (len = lseek(fd, 0, SEEK_END)) == -1)
		bail("open %s: %s", path, strerror(errno));
	b.n = (size_t)len;
	b.p = xmalloc(b.n);
	if (pread(fd, b.p, b.n, 0) != (ssize_t)b.n)
		bail("read %s", path);
	close(fd);
	return b;
}

static int
leftovers(void)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	if (d == NULL)
		bail("opendir");
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".cairn-verify.", 14) == 0)
			n++;
	closedir(d);
	return n;
}

static void
test_sqlite(void)
{
	struct verify_result	 res;
	struct table_stat	 t[2] = { { "items", 500, 0, 0 },
				    { "notes", 2, 0, 0 } };
	char			*path = xasprintf("%s/src.db", dir);
	const char		*name = "s_backup_20261124_060000.db.gz";
	sqlite3			*db;
	struct buf		 raw, gz;
	int			 code, left = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		bail("sqlite3_open");
	sq(db, "PRAGMA page_size=1024; CREATE TABLE items(id INTEGER "
	    "PRIMARY KEY, name TEXT); CREATE INDEX items_name ON items(name);"
	    "CREATE TABLE notes(t TEXT);"
	    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
	    "WHERE x < 500) INSERT INTO items SELECT x, 'item ' || x FROM c;"
	    "INSERT INTO notes VALUES ('a'), ('b');");
	sqlite3_close(db);
	raw = slurp(path);
	gz = gzip_buf(raw.p, raw.n);
	put(name, gz.p, gz.n);

	code = check(name, &gz, raw.n, 1, t, 2, &res);
	ok(code == CAIRN_E_OK && res.failed == 0 &&
	    (res.ran & (1u << VERIFY_INTEGRITY)) && res.ntables == 2,
	    "a good sqlite artifact passes (%s)", res.message);
	verify_result_free(&res);
	left += leftovers();

	t[0].rows = 499;
	code = check(name, &gz, raw.n, 1, t, 2, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "table items: 500 rows in the copy, 499 in catalog") == 0,
	    "a row count mismatch: %s", res.message);
	verify_result_free(&res);
	t[0].rows = 500;
	left += leftovers();

	code = check(name, &gz, raw.n, 1, t, 1, &res);
	ok(code == CAIRN_E_VERIFY && strcmp(res.message,
	    "sqlite: 2 tables in the copy, 1 in catalog") == 0,
	    "a table count mismatch: %s", res.message);
	verify_result_free(&res);

	/* corrupt a b-tree page of the index: integrity_check notices */
	{
		struct buf	 c = { xmalloc(raw.n), raw.n };
		struct buf	 cg;

		memcpy(c.p, raw.p, raw.n);
		/* last page: a leaf of the table or index; scramble its
		 * cell content area, leaving the header */
		memset(c.p + raw.n - 700, 0x5a, 600);
		cg = gzip_buf(c.p, c.n);
		put(name, cg.p, cg.n);
		code = check(name, &cg, c.n, 1, t, 2, &res);
		ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_INTEGRITY) &&
		    starts(res.message, "sqlite: "),
		    "a corrupted page: %s", res.message);
		ok(!FAILED(res, VERIFY_STREAM) && !FAILED(res, VERIFY_SHA256),
		    "with a good stream: only the database is bad");
		verify_result_free(&res);
		left += leftovers();
		free(c.p);
		free(cg.p);
	}
	/* a broken stream never reaches sqlite, and leaves nothing */
	put(name, gz.p, gz.n / 2);
	code = check(name, NULL, 0, 0, t, 2, &res);
	ok(code == CAIRN_E_VERIFY && FAILED(res, VERIFY_STREAM) &&
	    !(res.ran & (1u << VERIFY_INTEGRITY)), "truncated sqlite: %s",
	    res.message);
	verify_result_free(&res);
	left += leftovers();
	ok(left == 0, "no temporary copy left behind");

	code = verify_artifact(dirfd_, "nope_backup_20261124_060000.db.gz",
	    NULL, NULL, &res);
	ok(code == CAIRN_E_NOINPUT && strstr(res.message, "No such file") !=
	    NULL, "a missing artifact: %s", res.message);
	verify_result_free(&res);
	unlink(path);
	free(path);
	free(raw.p);
	free(gz.p);
}

static void
cleanup(void)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0)
			unlinkat(dirfd_, de->d_name, 0);
	if (d != NULL)
		closedir(d);
	close(dirfd_);
	rmdir(dir);
	free(dir);
}

int
main(void)
{
	plan(7 + 13 + 11 + 8);
	dir = tap_tmpdir();
	if ((dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		bail("open %s", dir);
	test_good();
	test_damage();
	test_content();
	test_sqlite();
	cleanup();
	return tap_exit();
}
