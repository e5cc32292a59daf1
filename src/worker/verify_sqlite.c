/*
 * verify_sqlite -- the checks of a SQLite artifact (verify_sqlite): the
 * pass decompresses it into a temporary copy ".cairn-verify.XXXXXX" in
 * the job folder (always removed), which must pass PRAGMA
 * integrity_check, open its schema and hold the catalog's tables and row
 * counts.  The copy of an ".age" artifact is sealed (sealed.h): no
 * plaintext on the disk.  See verify_int.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cairn/errors.h"
#include "cairn/retention.h"
#include "cairn/sealed.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "verify_int.h"

#define VERIFY_CACHE_KIB	"32768"	/* a sealed copy's page cache */

static int
tmp_create(int dirfd, char *name, size_t len)
{
	static const char	 az[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char		 rnd[8];
	int			 fd;

	for (int tries = 0; tries < 16; tries++) {
		size_t	 o;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -1;
		o = (size_t)snprintf(name, len, "%s",
		    RETENTION_VERIFY_TMP_PREFIX);
		for (size_t i = 0; i < sizeof(rnd) && o + 1 < len; i++)
			name[o++] = az[rnd[i] % (sizeof(az) - 1)];
		name[o] = '\0';
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* The temporary copy: plain, or sealed for an encrypted artifact. */
struct tmp_sink {
	int		 fd;
	struct sealed	*seal;
	uint64_t	 off;
};

static int
fd_sink(void *arg, const char *p, size_t n)
{
	struct tmp_sink	*t = arg;
	int		 rc;

	if (t->seal != NULL)
		rc = sealed_pwrite(t->seal, t->fd, p, n, t->off);
	else
		rc = util_write_all(t->fd, p, n) == (ssize_t)n ? 0 : -1;
	t->off += n;
	return rc;
}

/* "file:/path?immutable=1", with URI metacharacters escaped */
static char *
sqlite_uri(const char *dir, int dirfd, const char *name, int sealed)
{
	char	*path, *uri, *o;

	if (dir != NULL)
		path = xasprintf("%s/%s", dir, name);
	else
		path = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
	uri = xmalloc(strlen(path) * 3 + 64);
	o = uri + sprintf(uri, "file:");
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			o += sprintf(o, "%%%02X", (unsigned char)*p);
		else
			*o++ = *p;
	}
	strcpy(o, sealed ? "?immutable=1&vfs=" SEALED_VFS_NAME :
	    "?immutable=1");
	free(path);
	return uri;
}

static void
sqlite_check(const char *uri, int sealed, const struct verify_expect *e,
    struct verify_result *res, struct tables *found)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	int		 rc, nrows = 0;
	char		 first[160] = "";

	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		verify_fail(res, VERIFY_INTEGRITY,
		    "sqlite: cannot open the copy: %s",
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	/*
	 * integrity_check looks every row up in every index: its time goes
	 * into page reads (docs/verify-and-prune.md, "Cost").  A plain copy
	 * is read through a mapping, as the snapshot's check does; a sealed
	 * one cannot be mapped (its pages are decrypted on each read) and
	 * gets a page cache of VERIFY_CACHE_KIB instead.  No temporary file
	 * (the sealed VFS would refuse it anyway).
	 */
	(void)sqlite3_exec(db, sealed ? "PRAGMA temp_store = MEMORY; "
	    "PRAGMA cache_size = -" VERIFY_CACHE_KIB :
	    "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 2147418112",
	    NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &st,
	    NULL) != SQLITE_OK) {
		verify_fail(res, VERIFY_INTEGRITY,
		    "sqlite: integrity_check: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char	*t = sqlite3_column_text(st, 0);

		if (nrows++ == 0)
			snprintf(first, sizeof(first), "%s",
			    t != NULL ? (const char *)t : "");
	}
	if (rc != SQLITE_DONE) {
		verify_fail(res, VERIFY_INTEGRITY,
		    "sqlite: integrity_check: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	if (nrows != 1 || strcmp(first, "ok") != 0) {
		char	*f = first;

		/* "*** in database main ***\nOn tree page 5 cell 0: ..." */
		if (strncmp(f, "*** ", 4) == 0 && strchr(f, '\n') != NULL)
			f = strchr(f, '\n') + 1;
		f[strcspn(f, "\n")] = '\0';
		verify_fail(res, VERIFY_INTEGRITY,
		    "sqlite: integrity_check: %s", f);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	/* the schema opens: list the tables and count their rows */
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	    "ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		verify_fail(res, VERIFY_INTEGRITY, "sqlite: schema: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*t = (const char *)sqlite3_column_text(st, 0);

		if (t == NULL || verify_tables_get(found, t, 1) == NULL) {
			verify_fail(res, VERIFY_INTEGRITY,
			    "sqlite: schema: out of "
			    "memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		verify_fail(res, VERIFY_INTEGRITY, "sqlite: schema: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < found->n; i++) {
		char	*q = sqlite3_mprintf("SELECT count(*) FROM \"%w\"",
		    found->v[i].name);

		rc = q == NULL ? SQLITE_NOMEM :
		    sqlite3_prepare_v2(db, q, -1, &st, NULL);
		sqlite3_free(q);
		if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			verify_fail(res, VERIFY_INTEGRITY,
			    "sqlite: table %s: %s",
			    found->v[i].name, sqlite3_errmsg(db));
			goto out;
		}
		found->v[i].rows = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	verify_passed(res, VERIFY_INTEGRITY);
	if (e->tables == NULL)
		goto out;
	if (found->n != e->ntables)
		verify_fail(res, VERIFY_ROWS,
		    "sqlite: %zu tables in the copy, %zu in "
		    "catalog", found->n, e->ntables);
	for (size_t i = 0; i < e->ntables; i++) {
		const struct table_stat	*c = verify_tables_get(found,
		    e->tables[i].name, 0);

		if (c == NULL)
			verify_fail(res, VERIFY_ROWS,
			    "table %s: not in the copy, %"
			    PRIu64 " rows in catalog", e->tables[i].name,
			    e->tables[i].rows);
		else if (c->rows != e->tables[i].rows)
			verify_fail(res, VERIFY_ROWS,
			    "table %s: %" PRIu64 " rows in "
			    "the copy, %" PRIu64 " in catalog", c->name,
			    c->rows, e->tables[i].rows);
	}
	for (size_t i = 0; i < found->n; i++)
		if (verify_expect_find(e, found->v[i].name) == NULL)
			verify_fail(res, VERIFY_ROWS,
			    "table %s: in the copy, not in "
			    "catalog", found->v[i].name);
	verify_passed(res, VERIFY_ROWS);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int
verify_sqlite(struct pass *p, int dirfd, const struct verify_expect *e,
    const struct verify_opts *opts, struct verify_result *res)
{
	struct tables	 found = { NULL, 0, 0, 0 };
	struct tmp_sink	 ts = { -1, NULL, 0 };
	char		 tmp[64] = "", *uri;
	int		 code, content;

	if ((ts.fd = tmp_create(dirfd, tmp, sizeof(tmp))) == -1) {
		snprintf(res->message, sizeof(res->message),
		    "verify: temporary copy in the job folder: %s",
		    strerror(errno));
		return CAIRN_E_CANTCREAT;
	}
	if (p->encrypted && (sealed_vfs_register() == -1 ||
	    (ts.seal = sealed_new(ts.fd)) == NULL)) {
		snprintf(res->message, sizeof(res->message),
		    "verify: cannot seal the temporary copy: %s",
		    strerror(errno));
		code = CAIRN_E_OSERR;
		goto out;
	}
	p->sink = fd_sink;
	p->sink_arg = &ts;
	code = verify_pass_checks(p, e, res, &content);
	if (code != CAIRN_E_OK || !content)
		goto out;	/* no plaintext: nothing more to check */
	if (p->sink_failed) {
		code = CAIRN_E_IOERR;
		snprintf(res->message, sizeof(res->message), "verify: writing "
		    "the temporary copy: %s", strerror(errno));
		goto out;
	}
	if (res->failed & (1u << VERIFY_STREAM))
		goto out;	/* a broken stream's content proves nothing */
	uri = sqlite_uri(opts != NULL ? opts->dir : NULL, dirfd, tmp,
	    ts.seal != NULL);
	sqlite_check(uri, ts.seal != NULL, e, res, &found);
	free(uri);
	verify_tables_to_result(&found, res);
out:
	close(ts.fd);
	unlinkat(dirfd, tmp, 0);
	sealed_free(ts.seal);
	free(found.v);
	return code;
}
