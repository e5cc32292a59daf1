/* t/31-catalog.c -- catalog.db: artifacts, tables, runs, reconciliation */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cairn/catalog.h"
#include "cairn/util.h"
#include "tap.h"

/* sha256("hello\n") */
#define HELLO_SHA \
	"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static char	*dir;

static void
put(const char *rel, const char *content)
{
	char	*p = xasprintf("%s/%s", dir, rel);
	int	 fd;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    util_write_all(fd, content, strlen(content)) == -1)
		bail("write %s: %s", p, strerror(errno));
	close(fd);
	free(p);
}

static void
sub(const char *rel)
{
	char	*p = xasprintf("%s/%s", dir, rel);

	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		bail("mkdir %s: %s", p, strerror(errno));
	free(p);
}

static void
raw_sql(const char *sql)
{
	sqlite3	*db;
	char	*p = xasprintf("%s/%s", dir, CATALOG_FILE);

	if (sqlite3_open(p, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		bail("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	free(p);
}

static void
fill(struct job_result *r, const char *name, uint64_t raw, uint64_t stored,
    const char *sha)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->artifact, sizeof(r->artifact), "%s", name);
	r->info.raw_bytes = raw;
	r->info.stored_bytes = stored;
	snprintf(r->info.sha256_hex, sizeof(r->info.sha256_hex), "%s", sha);
}

static int
has_stale(const struct catalog_reconcile *r, const char *path)
{
	size_t	 i;

	for (i = 0; i < r->nstale; i++)
		if (strcmp(r->stale[i], path) == 0)
			return 1;
	return 0;
}

int
main(void)
{
	struct catalog		*c, *ro;
	sqlite3			*rdb;
	struct catalog_reconcile rec;
	struct catalog_run	 run, last;
	struct job_result	 res;
	struct table_stat	 ts[2], *tabs;
	struct artifact		 a, *list;
	enum compress_kind	 comp;
	enum job_kind		 kind;
	char			 err[512], job[64], *p;
	size_t			 n;
	time_t			 t;
	int64_t			 id1, id2, id3, id4;

	plan(57);
	dir = tap_tmpdir();

	/* names */
	ok(catalog_parse_name("db_1_backup_20261124_060001.sql.gz", job,
	    sizeof(job), &kind, &t, &comp) == 0 && strcmp(job, "db_1") == 0 &&
	    kind == JOB_MYSQL && t == 1795500001 && comp == COMPRESS_GZIP,
	    "a mysql gzip name parses (job with underscores)");
	ok(catalog_parse_name("app_backup_20260101_000000.db.zst", job,
	    sizeof(job), &kind, &t, &comp) == 0 && kind == JOB_SQLITE &&
	    comp == COMPRESS_ZSTD, "a sqlite zstd name parses");
	ok(catalog_parse_name("app_backup_20260101_000000.db", job,
	    sizeof(job), &kind, &t, &comp) == 0 && comp == COMPRESS_NONE,
	    "an uncompressed name parses");
	ok(catalog_parse_name("db_1_backup_20261124_060001.sql.gz.age", job,
	    sizeof(job), &kind, &t, &comp) == 0 && strcmp(job, "db_1") == 0 &&
	    kind == JOB_MYSQL && t == 1795500001 && comp == COMPRESS_GZIP,
	    "an encrypted mysql gzip name parses");
	ok(catalog_parse_name("app_backup_20260101_000000.db.zst.age", job,
	    sizeof(job), &kind, &t, &comp) == 0 && kind == JOB_SQLITE &&
	    comp == COMPRESS_ZSTD, "an encrypted sqlite zstd name parses");
	ok(catalog_parse_name("app_backup_20260101_000000.txt.age", job,
	    sizeof(job), &kind, &t, &comp) == -1, "an encrypted unknown kind "
	    "is refused");
	ok(catalog_parse_name("app_backup_20261301_000000.db", job,
	    sizeof(job), &kind, &t, &comp) == -1 && errno == EINVAL,
	    "month 13 is refused");
	ok(catalog_parse_name("_backup_20260101_000000.sql", job,
	    sizeof(job), &kind, &t, &comp) == -1, "an empty job is refused");
	ok(catalog_parse_name("app_backup_20260101_00000.sql", job,
	    sizeof(job), &kind, &t, &comp) == -1, "a short stamp is refused");
	ok(catalog_parse_name("app_backup_20260101_000000.txt", job,
	    sizeof(job), &kind, &t, &comp) == -1, "an unknown kind is refused");
	ok(catalog_parse_name("averyveryverylongjobname_backup_20260101_000000"
	    ".sql", job, 8, &kind, &t, &comp) == -1, "a job too long for the "
	    "buffer is refused");
	ok(catalog_parse_name("x_backup_20260101_000000_backup_20260101_000060"
	    ".db", job, sizeof(job), &kind, &t, &comp) == -1, "second 60 is "
	    "refused");
	ok(catalog_parse_name("x_backup_20260101_000000_backup_20260102_000000"
	    ".db.gz", job, sizeof(job), &kind, &t, &comp) == 0 &&
	    strcmp(job, "x_backup_20260101_000000") == 0 && t == 1767312000,
	    "the last _backup_ is the one, as for retention");

	/* open, schema */
	errno = 0;
	ok(catalog_open(dir, CATALOG_RDONLY, err, sizeof(err)) == NULL &&
	    errno == ENOENT, "read-only open of no catalog: %s", err);
	c = catalog_open(dir, 0, err, sizeof(err));
	ok(c != NULL, "a new catalog opens");
	if (c == NULL)
		bail("%s", err);
	is_int(catalog_schema_version(c), CATALOG_SCHEMA_VERSION,
	    "schema is current");

	/* add */
	fill(&res, "db1_backup_20260102_030405.sql.gz", 1000, 300,
	    "aa00000000000000000000000000000000000000000000000000000000000001");
	memset(ts, 0, sizeof(ts));
	snprintf(ts[0].name, sizeof(ts[0].name), "shop.orders");
	ts[0].rows = 12345;
	ts[0].has_checksum = 1;
	ts[0].checksum = UINT64_MAX;
	snprintf(ts[1].name, sizeof(ts[1].name), "shop.customers");
	ts[1].rows = 7;
	res.tables = ts;
	res.ntables = 2;
	ok(catalog_add(c, "db1", JOB_MYSQL, 1767323045, 1767323100, &res,
	    &id1) == 0 && id1 > 0, "mysql artifact added");
	res.tables = NULL;
	res.ntables = 0;
	fill(&res, "db1_backup_20260103_030405.sql.gz", 2000, 600,
	    "bb00000000000000000000000000000000000000000000000000000000000002");
	ok(catalog_add(c, "db1", JOB_MYSQL, 1767409445, 1767409500, &res,
	    &id2) == 0, "second mysql artifact added");
	fill(&res, "app_backup_20260102_000000.db.gz", 50, 20,
	    "cc00000000000000000000000000000000000000000000000000000000000003");
	ok(catalog_add(c, "app", JOB_SQLITE, 1767312000, 1767312001, &res,
	    &id3) == 0, "sqlite artifact added");
	ok(catalog_add(c, "app", JOB_SQLITE, 1767312000, 1767312001, &res,
	    &id4) == -1, "the same path twice is refused: %s",
	    catalog_error(c));
	ok(catalog_add(c, "p", JOB_PRUNE, 1, 1, &res, &id4) == -1 &&
	    errno == EINVAL, "a prune job makes no artifacts");

	/* find, list, tables */
	ok(catalog_find(c, "db1/db1_backup_20260102_030405.sql.gz", &a) == 0 &&
	    a.id == id1 && strcmp(a.job, "db1") == 0 && a.kind == JOB_MYSQL &&
	    a.started == 1767323045 && a.finished == 1767323100 &&
	    a.raw_bytes == 1000 && a.stored_bytes == 300 &&
	    a.sha256[0] == 'a' && a.status == ART_UNVERIFIED &&
	    a.verified_at == 0 && a.recorded > 0, "find by path gives the row");
	errno = 0;
	ok(catalog_find(c, "db1/nope", &a) == -1 && errno == ENOENT,
	    "find of an unknown path is ENOENT");
	ok(catalog_list(c, NULL, &list, &n) == 0 && n == 3 &&
	    list[0].id == id2 && list[1].id == id1 && list[2].id == id3,
	    "list all, newest first");
	free(list);
	ok(catalog_list(c, "db1", &list, &n) == 0 && n == 2 &&
	    list[0].id == id2, "list one job");
	free(list);
	ok(catalog_list(c, "none", &list, &n) == 0 && n == 0,
	    "list of a job without artifacts is empty");
	free(list);
	ok(catalog_tables(c, id1, &tabs, &n) == 0 && n == 2 &&
	    strcmp(tabs[0].name, "shop.customers") == 0 &&
	    tabs[0].rows == 7 && !tabs[0].has_checksum &&
	    strcmp(tabs[1].name, "shop.orders") == 0 && tabs[1].rows == 12345 &&
	    tabs[1].has_checksum && tabs[1].checksum == UINT64_MAX,
	    "table stats round-trip (64-bit checksum, NULL checksum)");
	free(tabs);

	/* verification results */
	ok(catalog_set_verified(c, id1, 1, 1767400000, "gzip ok, sha256 ok, "
	    "2 tables") == 0 && catalog_get(c, id1, &a) == 0 &&
	    a.status == ART_OK && a.verified_at == 1767400000 &&
	    strcmp(a.verify_result, "gzip ok, sha256 ok, 2 tables") == 0,
	    "verification passed is recorded");
	ok(catalog_set_verified(c, id2, 0, 1767400001, "sha256 mismatch") == 0
	    && catalog_get(c, id2, &a) == 0 && a.status == ART_FAILED_VERIFY,
	    "verification failed is recorded");
	errno = 0;
	ok(catalog_set_status(c, 9999, ART_MISSING) == -1 && errno == ENOENT,
	    "status of an unknown id is ENOENT");
	ok(catalog_status_parse("failed-verify") == ART_FAILED_VERIFY &&
	    catalog_status_parse("bogus") == -1 &&
	    strcmp(catalog_status_name(ART_DELETED), "deleted") == 0,
	    "status names");

	/* read-only while the writer has it open */
	ro = catalog_open(dir, CATALOG_RDONLY, err, sizeof(err));
	ok(ro != NULL, "read-only open while the writer is open");
	if (ro == NULL)
		bail("%s", err);
	ok(catalog_list(ro, NULL, &list, &n) == 0 && n == 3, "reader sees 3");
	free(list);
	/* a reader in the middle of a read transaction */
	p = xasprintf("%s/%s", dir, CATALOG_FILE);
	if (sqlite3_open_v2(p, &rdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_exec(rdb, "BEGIN; SELECT count(*) FROM artifacts;", NULL,
	    NULL, NULL) != SQLITE_OK)
		bail("reader: %s", sqlite3_errmsg(rdb));
	free(p);
	fill(&res, "app_backup_20260104_000000.db.gz", 50, 20, HELLO_SHA);
	ok(catalog_add(c, "app", JOB_SQLITE, 1767484800, 1767484801, &res,
	    &id4) == 0, "writer adds while a reader holds a snapshot: %s",
	    catalog_error(c));
	ok(sqlite3_exec(rdb, "COMMIT", NULL, NULL, NULL) == SQLITE_OK,
	    "the reader finishes");
	sqlite3_close(rdb);
	ok(catalog_list(ro, NULL, &list, &n) == 0 && n == 4,
	    "reader sees the new row");
	free(list);
	ok(catalog_set_status(ro, id4, ART_OK) == -1, "reader cannot write: %s",
	    catalog_error(ro));
	catalog_close(ro);

	/* runs */
	memset(&run, 0, sizeof(run));
	snprintf(run.job, sizeof(run.job), "db1");
	run.started = 100;
	run.finished = 160;
	run.code = 91;
	run.attempt = 1;
	snprintf(run.message, sizeof(run.message), "dump query failed");
	ok(catalog_run_add(c, &run) == 0 && run.id > 0, "run added");
	run.started = 200;
	run.finished = 260;
	run.code = 0;
	run.attempt = 2;
	run.artifact_id = id2;
	snprintf(run.message, sizeof(run.message), "ok");
	ok(catalog_run_add(c, &run) == 0, "second run added");
	ok(catalog_run_last(c, "db1", &last) == 0 && last.started == 200 &&
	    last.code == 0 && last.attempt == 2 && last.artifact_id == id2 &&
	    strcmp(last.message, "ok") == 0, "last run of a job");
	errno = 0;
	ok(catalog_run_last(c, "app", &last) == -1 && errno == ENOENT,
	    "no run: ENOENT");

	/* delete */
	ok(catalog_delete(c, id1) == 0 && catalog_get(c, id1, &a) == -1 &&
	    errno == ENOENT, "delete removes the row");
	ok(catalog_tables(c, id1, &tabs, &n) == 0 && n == 0,
	    "and its table stats");
	free(tabs);

	/* reconcile */
	sub("db1");
	sub("app");
	sub(".hidden");
	put("db1/db1_backup_20260105_000000.sql.gz", "hello\n");
	put("db1/.db1_backup_20260106_000000.sql.gz.partial", "half");
	put("db1/README", "not an artifact");
	put("db1/other_backup_20260105_000000.sql.gz", "wrong folder");
	put("app/app_backup_20260104_000000.db.gz", "hello\n");
	put("app/app_backup_20260106_000000.db.snapshot.tmp", "tmp");
	put(".hidden/x_backup_20260105_000000.sql.gz", "hidden");
	ok(catalog_reconcile(c, &rec) == 0, "reconcile runs: %s",
	    catalog_error(c));
	ok(rec.nfound == 1 && strcmp(rec.found[0].path,
	    "db1/db1_backup_20260105_000000.sql.gz") == 0 &&
	    rec.found[0].status == ART_UNVERIFIED &&
	    rec.found[0].sha256[0] == '\0' &&
	    rec.found[0].stored_bytes == 6 &&
	    rec.found[0].started == 1767571200 && rec.found[0].id > 0,
	    "a file without a row is recorded, unread (sha256 unknown)");
	ok(catalog_find(c, "db1/db1_backup_20260105_000000.sql.gz", &a) == 0 &&
	    a.raw_bytes == 0 && a.kind == JOB_MYSQL, "and is in the catalog");
	ok(catalog_set_sha256(c, a.id, HELLO_SHA) == 0 &&
	    catalog_get(c, a.id, &a) == 0 && strcmp(a.sha256, HELLO_SHA) == 0 &&
	    catalog_set_sha256(c, a.id, HELLO_SHA) == -1 && errno == ENOENT,
	    "the verify worker's SHA-256 is recorded once, never replaced");
	ok(rec.nmissing == 2 && ((rec.missing[0].id == id2 &&
	    rec.missing[1].id == id3)), "rows without files are missing");
	ok(catalog_get(c, id2, &a) == 0 && a.status == ART_MISSING,
	    "and marked so");
	ok(rec.nstale == 2 && has_stale(&rec,
	    "db1/.db1_backup_20260106_000000.sql.gz.partial") &&
	    has_stale(&rec, "app/app_backup_20260106_000000.db.snapshot.tmp"),
	    "stale partial and snapshot files are listed");
	ok(catalog_get(c, id4, &a) == 0 && a.status == ART_UNVERIFIED,
	    "a row with its file is left alone");
	catalog_reconcile_free(&rec);
	ok(catalog_reconcile(c, &rec) == 0 && rec.nfound == 0 &&
	    rec.nmissing == 0 && rec.nstale == 2,
	    "a second reconcile finds nothing new");
	catalog_reconcile_free(&rec);
	put("app/app_backup_20260102_000000.db.gz", "back\n");
	ok(catalog_reconcile(c, &rec) == 0 && rec.nfound == 1 &&
	    rec.found[0].id == id3 && rec.found[0].status == ART_UNVERIFIED,
	    "a missing file that comes back is found again");
	catalog_reconcile_free(&rec);
	catalog_close(c);

	/* schema from the future */
	raw_sql("PRAGMA user_version = 99");
	errno = 0;
	ok(catalog_open(dir, 0, err, sizeof(err)) == NULL &&
	    errno == EPROTONOSUPPORT, "a newer schema is refused: %s", err);
	ok(catalog_open(dir, CATALOG_RDONLY, err, sizeof(err)) == NULL,
	    "also read-only");
	raw_sql("PRAGMA user_version = 1");
	c = catalog_open(dir, 0, err, sizeof(err));
	ok(c != NULL && catalog_schema_version(c) == CATALOG_SCHEMA_VERSION,
	    "an older schema is migrated forward on open");
	catalog_close(c);
	ro = catalog_open(dir, CATALOG_RDONLY, err, sizeof(err));
	ok(ro != NULL && catalog_list(ro, NULL, &list, &n) == 0 && n == 4,
	    "read-only open with no writer running");
	if (ro != NULL)
		free(list);
	catalog_close(ro);

	p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		diag("cleanup of %s failed", dir);
	free(p);
	free(dir);
	return tap_exit();
}
