/* catalog.c -- see catalog.h */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cairn/age.h"
#include "cairn/catalog.h"
#include "cairn/retention.h"
#include "cairn/sha256.h"
#include "cairn/util.h"

struct catalog {
	sqlite3		*db;
	int		 dirfd;		/* the backup folder */
	int		 rdonly;
	char		 err[512];
};

/*
 * Schema steps: migrations[i] takes user_version i to i + 1.  Append only;
 * each ends by setting user_version and runs in one transaction.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE artifacts ("
	"  id INTEGER PRIMARY KEY,"
	"  job TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('mysql', 'sqlite')),"
	"  path TEXT NOT NULL UNIQUE,"
	"  started INTEGER NOT NULL,"
	"  finished INTEGER NOT NULL,"
	"  raw_bytes INTEGER,"
	"  stored_bytes INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('unverified', 'ok',"
	"    'failed-verify', 'missing', 'deleted')),"
	"  verified_at INTEGER,"
	"  verify_result TEXT,"
	"  recorded INTEGER NOT NULL"
	");"
	"CREATE INDEX artifacts_job ON artifacts (job, started DESC);"
	"CREATE TABLE artifact_tables ("
	"  artifact_id INTEGER NOT NULL"
	"    REFERENCES artifacts (id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  rows INTEGER NOT NULL,"
	"  checksum INTEGER,"
	"  PRIMARY KEY (artifact_id, name)"
	");"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  job TEXT NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  finished INTEGER,"
	"  code INTEGER,"
	"  message TEXT,"
	"  attempt INTEGER NOT NULL DEFAULT 1,"
	"  artifact_id INTEGER REFERENCES artifacts (id) ON DELETE SET NULL"
	");"
	"CREATE INDEX runs_job ON runs (job, started DESC);"
	"PRAGMA user_version = 1;",
	/* 1 -> 2: off-site copies; a copy outlives its local artifact */
	"CREATE TABLE IF NOT EXISTS remote_copies ("
	"  id INTEGER PRIMARY KEY,"
	"  remote TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  job TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  artifact_id INTEGER REFERENCES artifacts (id) ON DELETE SET NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  etag TEXT NOT NULL,"
	"  uploaded INTEGER NOT NULL,"
	"  verified_at INTEGER,"
	"  UNIQUE (remote, key)"
	");"
	"PRAGMA user_version = 2;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    CATALOG_SCHEMA_VERSION, "one migration per schema version");

static const char *const status_names[ART_STATUS_MAX] = {
	[ART_UNVERIFIED] = "unverified",
	[ART_OK] = "ok",
	[ART_FAILED_VERIFY] = "failed-verify",
	[ART_MISSING] = "missing",
	[ART_DELETED] = "deleted",
};

#define ART_COLUMNS \
	"id, job, kind, path, started, finished, raw_bytes, stored_bytes, " \
	"sha256, status, verified_at, verify_result, recorded"

const char *
catalog_status_name(enum artifact_status s)
{
	if ((unsigned)s >= ART_STATUS_MAX)
		return "unknown";
	return status_names[s];
}

int
catalog_status_parse(const char *s)
{
	int	 i;

	for (i = 0; i < ART_STATUS_MAX; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

static const char *
kind_name(enum job_kind k)
{
	return k == JOB_MYSQL ? "mysql" : k == JOB_SQLITE ? "sqlite" : NULL;
}

/* Records the connection's error; sets errno. */
static int __attribute__((format(printf, 2, 3)))
cat_fail(struct catalog *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc, n;

	rc = sqlite3_extended_errcode(c->db) & 0xff;
	va_start(ap, fmt);
	n = vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(c->err))
		snprintf(c->err + n, sizeof(c->err) - (size_t)n, ": %s",
		    sqlite3_errmsg(c->db));
	errno = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? EBUSY :
	    rc == SQLITE_READONLY ? EROFS : EIO;
	return -1;
}

const char *
catalog_error(const struct catalog *c)
{
	return c->err;
}

static sqlite3_stmt *
prep(struct catalog *c, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		cat_fail(c, "catalog: prepare");
		return NULL;
	}
	return st;
}

static int
exec(struct catalog *c, const char *sql)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return cat_fail(c, "catalog: %.40s", sql);
	return 0;
}

int
catalog_schema_version(struct catalog *c)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if ((st = prep(c, "PRAGMA user_version")) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		cat_fail(c, "catalog: user_version");
	sqlite3_finalize(st);
	return v;
}

static int
migrate(struct catalog *c)
{
	int	 v;

	if ((v = catalog_schema_version(c)) == -1)
		return -1;
	if (v > CATALOG_SCHEMA_VERSION) {
		snprintf(c->err, sizeof(c->err), "catalog: schema version %d "
		    "is newer than this cairn understands (%d)", v,
		    CATALOG_SCHEMA_VERSION);
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (c->rdonly) {
		if (v < CATALOG_SCHEMA_VERSION) {
			snprintf(c->err, sizeof(c->err), "catalog: schema "
			    "version %d is older than %d: let cairnd upgrade "
			    "it first", v, CATALOG_SCHEMA_VERSION);
			errno = EPROTONOSUPPORT;
			return -1;
		}
		return 0;
	}
	while (v < CATALOG_SCHEMA_VERSION) {
		if (exec(c, "BEGIN IMMEDIATE") == -1)
			return -1;
		/* re-read under the lock: another opener may have done it */
		if ((v = catalog_schema_version(c)) == -1 ||
		    v >= CATALOG_SCHEMA_VERSION) {
			exec(c, v == -1 ? "ROLLBACK" : "COMMIT");
			return v == -1 ? -1 : 0;
		}
		if (exec(c, migrations[v]) == -1) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (exec(c, "COMMIT") == -1)
			return -1;
		v++;
	}
	return 0;
}

struct catalog *
catalog_open(const char *backup_dir, int flags, char *err, size_t errlen)
{
	struct catalog	*c;
	char		*path;
	int		 oflags, rc, saved;

	c = xcalloc(1, sizeof(*c));
	c->rdonly = (flags & CATALOG_RDONLY) != 0;
	c->dirfd = open(backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd == -1) {
		saved = errno;
		snprintf(err, errlen, "catalog: %s: %s", backup_dir,
		    strerror(errno));
		free(c);
		errno = saved;
		return NULL;
	}
	path = xasprintf("%s/%s", backup_dir, CATALOG_FILE);
	oflags = c->rdonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &c->db, oflags | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "catalog: %s: %s", path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		saved = (rc & 0xff) == SQLITE_CANTOPEN && c->rdonly &&
		    access(path, F_OK) == -1 ? ENOENT : EIO;
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, 5000);
	if (exec(c, "PRAGMA foreign_keys = ON") == -1)
		goto fail_c;
	if (!c->rdonly && (exec(c, "PRAGMA journal_mode = WAL") == -1 ||
	    exec(c, "PRAGMA synchronous = FULL") == -1))
		goto fail_c;
	if (migrate(c) == -1)
		goto fail_c;
	free(path);
	return c;
fail_c:
	saved = errno;
	snprintf(err, errlen, "%s: %s", path, c->err);
fail:
	free(path);
	sqlite3_close(c->db);
	close(c->dirfd);
	free(c);
	errno = saved;
	return NULL;
}

void
catalog_close(struct catalog *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);	/* every statement is finalized by now */
	close(c->dirfd);
	free(c);
}

int
catalog_parse_name(const char *name, char *job, size_t joblen,
    enum job_kind *kind, time_t *t, enum compress_kind *comp)
{
	size_t		 len = strlen(name);

	/* encrypted: NAME.age, docs/encryption.md */
	if (age_is_encrypted_name(name))
		len -= strlen(AGE_SUFFIX);
	if (len > 4 && strncmp(name + len - 3, ".gz", 3) == 0) {
		*comp = COMPRESS_GZIP;
		len -= 3;
	} else if (len > 5 && strncmp(name + len - 4, ".zst", 4) == 0) {
		*comp = COMPRESS_ZSTD;
		len -= 4;
	} else
		*comp = COMPRESS_NONE;
	if (len > 4 && strncmp(name + len - 4, ".sql", 4) == 0) {
		*kind = JOB_MYSQL;
		len -= 4;
	} else if (len > 3 && strncmp(name + len - 3, ".db", 3) == 0) {
		*kind = JOB_SQLITE;
		len -= 3;
	} else
		goto bad;
	/* the stamp ends the stem: JOB_backup_YYYYMMDD_HHMMSS, so that
	 * "_backup_" is the last one, the one retention_parse_name() takes */
	if (len < 24 || strncmp(name + len - 23, "_backup_", 8) != 0)
		goto bad;
	return retention_parse_name(name, job, joblen, t);
bad:
	errno = EINVAL;
	return -1;
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", s == NULL ? "" : (const char *)s);
}

static void
row_artifact(sqlite3_stmt *st, struct artifact *a)
{
	char	 tmp[32];
	int	 s;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, a->job, sizeof(a->job));
	col_text(st, 2, tmp, sizeof(tmp));
	a->kind = strcmp(tmp, "mysql") == 0 ? JOB_MYSQL : JOB_SQLITE;
	col_text(st, 3, a->path, sizeof(a->path));
	a->started = (time_t)sqlite3_column_int64(st, 4);
	a->finished = (time_t)sqlite3_column_int64(st, 5);
	a->raw_bytes = (uint64_t)sqlite3_column_int64(st, 6);
	a->stored_bytes = (uint64_t)sqlite3_column_int64(st, 7);
	col_text(st, 8, a->sha256, sizeof(a->sha256));
	col_text(st, 9, tmp, sizeof(tmp));
	s = catalog_status_parse(tmp);
	a->status = s == -1 ? ART_UNVERIFIED : (enum artifact_status)s;
	a->verified_at = (time_t)sqlite3_column_int64(st, 10);
	col_text(st, 11, a->verify_result, sizeof(a->verify_result));
	a->recorded = (time_t)sqlite3_column_int64(st, 12);
}

/* Steps a one-row query into *a: 0, or -1 (ENOENT if no row). */
static int
one_artifact(struct catalog *c, sqlite3_stmt *st, struct artifact *a,
    const char *what)
{
	int	 rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_artifact(st, a);
		sqlite3_finalize(st);
		return 0;
	}
	if (rc == SQLITE_DONE) {
		snprintf(c->err, sizeof(c->err), "catalog: no artifact %s",
		    what);
		sqlite3_finalize(st);
		errno = ENOENT;
		return -1;
	}
	cat_fail(c, "catalog: artifact %s", what);
	sqlite3_finalize(st);
	return -1;
}

int
catalog_get(struct catalog *c, int64_t id, struct artifact *a)
{
	sqlite3_stmt	*st;
	char		 what[32];

	if ((st = prep(c, "SELECT " ART_COLUMNS " FROM artifacts "
	    "WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	snprintf(what, sizeof(what), "#%lld", (long long)id);
	return one_artifact(c, st, a, what);
}

int
catalog_find(struct catalog *c, const char *path, struct artifact *a)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "SELECT " ART_COLUMNS " FROM artifacts "
	    "WHERE path = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	return one_artifact(c, st, a, path);
}

int
catalog_list(struct catalog *c, const char *job, struct artifact **out,
    size_t *n)
{
	sqlite3_stmt	*st;
	struct artifact	*v = NULL;
	size_t		 cap = 0;
	int		 rc;

	*out = NULL;
	*n = 0;
	if ((st = prep(c, "SELECT " ART_COLUMNS " FROM artifacts "
	    "WHERE ?1 IS NULL OR job = ?1 ORDER BY started DESC, id DESC"))
	    == NULL)
		return -1;
	if (job != NULL)
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		row_artifact(st, &v[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		cat_fail(c, "catalog: list");
		sqlite3_finalize(st);
		free(v);
		*n = 0;
		return -1;
	}
	sqlite3_finalize(st);
	*out = v;
	return 0;
}

int
catalog_tables(struct catalog *c, int64_t id, struct table_stat **out,
    size_t *n)
{
	sqlite3_stmt		*st;
	struct table_stat	*v = NULL;
	size_t			 cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((st = prep(c, "SELECT name, rows, checksum FROM artifact_tables "
	    "WHERE artifact_id = ?1 ORDER BY name")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		col_text(st, 0, v[*n].name, sizeof(v[*n].name));
		v[*n].rows = (uint64_t)sqlite3_column_int64(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			v[*n].has_checksum = 1;
			/* stored as the int64 with the same bits */
			v[*n].checksum = (uint64_t)sqlite3_column_int64(st, 2);
		}
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		cat_fail(c, "catalog: tables of #%lld", (long long)id);
		sqlite3_finalize(st);
		free(v);
		*n = 0;
		return -1;
	}
	sqlite3_finalize(st);
	*out = v;
	return 0;
}

/* Runs a prepared write statement to completion and finalizes it. */
static int
step_done(struct catalog *c, sqlite3_stmt *st, const char *what)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		cat_fail(c, "catalog: %s", what);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static int
insert_artifact(struct catalog *c, const struct artifact *a, int64_t *idp)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "INSERT INTO artifacts (job, kind, path, started, "
	    "finished, raw_bytes, stored_bytes, sha256, status, recorded) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a->job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind_name(a->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)a->started);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)a->finished);
	if (a->raw_bytes != 0)
		sqlite3_bind_int64(st, 6, (sqlite3_int64)a->raw_bytes);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)a->stored_bytes);
	sqlite3_bind_text(st, 8, a->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, catalog_status_name(a->status), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
	if (step_done(c, st, a->path) == -1)
		return -1;
	*idp = sqlite3_last_insert_rowid(c->db);
	return 0;
}

static int
check_names(struct catalog *c, const char *job, const char *path)
{
	if (strlen(job) >= sizeof(((struct artifact *)0)->job) ||
	    strlen(path) >= sizeof(((struct artifact *)0)->path)) {
		snprintf(c->err, sizeof(c->err), "catalog: %.64s...: name "
		    "too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
catalog_add(struct catalog *c, const char *job, enum job_kind kind,
    time_t started, time_t finished, const struct job_result *res,
    int64_t *idp)
{
	struct artifact	 a;
	sqlite3_stmt	*st;
	size_t		 i;
	int		 n;

	memset(&a, 0, sizeof(a));
	if (kind_name(kind) == NULL) {
		snprintf(c->err, sizeof(c->err), "catalog: %s: only mysql and "
		    "sqlite jobs make artifacts", job);
		errno = EINVAL;
		return -1;
	}
	n = snprintf(a.path, sizeof(a.path), "%s/%s", job, res->artifact);
	if (n < 0 || (size_t)n >= sizeof(a.path) ||
	    check_names(c, job, a.path) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(a.job, sizeof(a.job), "%s", job);
	a.kind = kind;
	a.started = started;
	a.finished = finished;
	a.raw_bytes = res->info.raw_bytes;
	a.stored_bytes = res->info.stored_bytes;
	snprintf(a.sha256, sizeof(a.sha256), "%s", res->info.sha256_hex);
	a.status = ART_UNVERIFIED;
	if (exec(c, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (insert_artifact(c, &a, idp) == -1)
		goto rollback;
	for (i = 0; i < res->ntables; i++) {
		if ((st = prep(c, "INSERT INTO artifact_tables (artifact_id, "
		    "name, rows, checksum) VALUES (?1, ?2, ?3, ?4)")) == NULL)
			goto rollback;
		sqlite3_bind_int64(st, 1, *idp);
		sqlite3_bind_text(st, 2, res->tables[i].name, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)res->tables[i].rows);
		if (res->tables[i].has_checksum)
			sqlite3_bind_int64(st, 4,
			    (sqlite3_int64)res->tables[i].checksum);
		if (step_done(c, st, res->tables[i].name) == -1)
			goto rollback;
	}
	if (exec(c, "COMMIT") == -1)
		goto rollback;
	return 0;
rollback:
	n = errno;
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	errno = n;
	return -1;
}

/* Checks that a write statement touched a row: ENOENT otherwise. */
static int
changed_one(struct catalog *c, int64_t id)
{
	if (sqlite3_changes(c->db) == 0) {
		snprintf(c->err, sizeof(c->err), "catalog: no artifact #%lld",
		    (long long)id);
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int
catalog_set_verified(struct catalog *c, int64_t id, int ok, time_t at,
    const char *result)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "UPDATE artifacts SET status = ?2, verified_at = ?3,"
	    " verify_result = ?4 WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, catalog_status_name(ok ? ART_OK :
	    ART_FAILED_VERIFY), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)at);
	sqlite3_bind_text(st, 4, result == NULL ? "" : result, -1,
	    SQLITE_STATIC);
	if (step_done(c, st, "set verified") == -1)
		return -1;
	return changed_one(c, id);
}

int
catalog_set_status(struct catalog *c, int64_t id, enum artifact_status s)
{
	sqlite3_stmt	*st;

	if ((unsigned)s >= ART_STATUS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((st = prep(c, "UPDATE artifacts SET status = ?2 WHERE id = ?1"))
	    == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, catalog_status_name(s), -1, SQLITE_STATIC);
	if (step_done(c, st, "set status") == -1)
		return -1;
	return changed_one(c, id);
}

int
catalog_set_sha256(struct catalog *c, int64_t id, const char *hex)
{
	sqlite3_stmt	*st;

	if (strlen(hex) != 64) {
		errno = EINVAL;
		return -1;
	}
	if ((st = prep(c, "UPDATE artifacts SET sha256 = ?2 WHERE id = ?1 "
	    "AND sha256 = ''")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
	if (step_done(c, st, "set sha256") == -1)
		return -1;
	return changed_one(c, id);
}

int
catalog_delete(struct catalog *c, int64_t id)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "DELETE FROM artifacts WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (step_done(c, st, "delete") == -1)
		return -1;
	return changed_one(c, id);
}

int
catalog_run_add(struct catalog *c, struct catalog_run *r)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "INSERT INTO runs (job, started, finished, code, "
	    "message, attempt, artifact_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7)")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, r->job, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->started);
	if (r->finished != 0)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)r->finished);
	sqlite3_bind_int(st, 4, r->code);
	sqlite3_bind_text(st, 5, r->message, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->attempt < 1 ? 1 : r->attempt);
	if (r->artifact_id != 0)
		sqlite3_bind_int64(st, 7, r->artifact_id);
	if (step_done(c, st, "add run") == -1)
		return -1;
	r->id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int
catalog_run_last(struct catalog *c, const char *job, struct catalog_run *r)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(c, "SELECT id, job, started, finished, code, message, "
	    "attempt, artifact_id FROM runs WHERE job = ?1 "
	    "ORDER BY started DESC, id DESC LIMIT 1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		col_text(st, 1, r->job, sizeof(r->job));
		r->started = (time_t)sqlite3_column_int64(st, 2);
		r->finished = (time_t)sqlite3_column_int64(st, 3);
		r->code = sqlite3_column_int(st, 4);
		col_text(st, 5, r->message, sizeof(r->message));
		r->attempt = sqlite3_column_int(st, 6);
		r->artifact_id = sqlite3_column_int64(st, 7);
		sqlite3_finalize(st);
		return 0;
	}
	if (rc == SQLITE_DONE) {
		snprintf(c->err, sizeof(c->err), "catalog: no run of %s", job);
		errno = ENOENT;
	} else
		cat_fail(c, "catalog: last run of %s", job);
	sqlite3_finalize(st);
	return -1;
}

/* --- reconciliation ------------------------------------------------- */

static int
is_stale(const char *name)
{
	size_t	 len = strlen(name);

	if (name[0] == '.' && len > 9 && strcmp(name + len - 8,
	    ".partial") == 0)
		return 1;
	return len > 13 && strcmp(name + len - 13, ".snapshot.tmp") == 0;
}

static void
push_artifact(struct artifact **v, size_t *n, const struct artifact *a)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *a;
}

/* One file JOB/NAME seen on disk. */
static int
reconcile_file(struct catalog *c, int jfd, const char *job, const char *name,
    const struct stat *st, struct catalog_reconcile *out)
{
	struct artifact		 a;
	enum compress_kind	 comp;
	char			 fjob[128], path[512];
	int			 n;

	n = snprintf(path, sizeof(path), "%s/%s", job, name);
	if (n < 0 || (size_t)n >= sizeof(path) || strlen(job) >= sizeof(a.job))
		return 0;		/* not one of ours */
	if (catalog_find(c, path, &a) == 0) {
		if (a.status != ART_MISSING)
			return 0;
		/* it came back */
		if (catalog_set_status(c, a.id, ART_UNVERIFIED) == -1)
			return -1;
		a.status = ART_UNVERIFIED;
		push_artifact(&out->found, &out->nfound, &a);
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	memset(&a, 0, sizeof(a));
	if (catalog_parse_name(name, fjob, sizeof(fjob), &a.kind, &a.started,
	    &comp) == -1 || strcmp(fjob, job) != 0)
		return 0;
	/*
	 * Not hashed here: the file may be huge (or planted), and this runs
	 * before the daemon is ready.  The SHA-256 stays "" (unknown) until
	 * the verify worker computes it (catalog_set_sha256()).
	 */
	(void)jfd;
	memcpy(a.job, job, strlen(job) + 1);	/* length checked above */
	memcpy(a.path, path, (size_t)n + 1);
	a.finished = st->st_mtime;
	a.stored_bytes = (uint64_t)st->st_size;
	a.status = ART_UNVERIFIED;
	if (insert_artifact(c, &a, &a.id) == -1)
		return -1;
	a.recorded = time(NULL);
	push_artifact(&out->found, &out->nfound, &a);
	return 0;
}

static int
reconcile_dir(struct catalog *c, const char *job,
    struct catalog_reconcile *out)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 jfd, rc = 0, saved;

	if ((jfd = openat(c->dirfd, job, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return 0;		/* raced away, or not a folder */
	if ((d = fdopendir(jfd)) == NULL) {
		close(jfd);
		return 0;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name,
		    "..") == 0)
			continue;
		if (is_stale(de->d_name)) {
			out->stale = xreallocarray(out->stale, out->nstale + 1,
			    sizeof(*out->stale));
			out->stale[out->nstale++] = xasprintf("%s/%s", job,
			    de->d_name);
			continue;
		}
		if (fstatat(jfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((rc = reconcile_file(c, jfd, job, de->d_name, &st,
		    out)) == -1)
			break;
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return rc;
}

static int
reconcile(struct catalog *c, struct catalog_reconcile *out)
{
	struct artifact	 a;
	struct stat	 st;
	struct dirent	*de;
	sqlite3_stmt	*sel;
	DIR		*d;
	int		 fd, rc;

	memset(out, 0, sizeof(*out));
	if ((fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		rc = errno;
		snprintf(c->err, sizeof(c->err), "catalog: backup folder: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		errno = rc;
		return -1;
	}
	/* files without rows */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(c->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISDIR(st.st_mode))
			continue;
		if (reconcile_dir(c, de->d_name, out) == -1) {
			rc = errno;
			closedir(d);
			errno = rc;
			return -1;
		}
	}
	closedir(d);

	/* rows without files */
	if ((sel = prep(c, "SELECT " ART_COLUMNS " FROM artifacts "
	    "WHERE status NOT IN ('missing', 'deleted') ORDER BY id")) == NULL)
		return -1;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		row_artifact(sel, &a);
		if (fstatat(c->dirfd, a.path, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
		    errno != ENOENT)
			continue;
		a.status = ART_MISSING;
		push_artifact(&out->missing, &out->nmissing, &a);
	}
	if (rc != SQLITE_DONE) {
		cat_fail(c, "catalog: reconcile");
		sqlite3_finalize(sel);
		return -1;
	}
	sqlite3_finalize(sel);
	for (size_t i = 0; i < out->nmissing; i++)
		if (catalog_set_status(c, out->missing[i].id, ART_MISSING) ==
		    -1)
			return -1;
	return 0;
}

int
catalog_reconcile(struct catalog *c, struct catalog_reconcile *out)
{
	int	 saved;

	if (reconcile(c, out) == 0)
		return 0;
	saved = errno;
	catalog_reconcile_free(out);
	errno = saved;
	return -1;
}

void
catalog_reconcile_free(struct catalog_reconcile *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	free(r->found);
	free(r->missing);
	for (i = 0; i < r->nstale; i++)
		free(r->stale[i]);
	free(r->stale);
	memset(r, 0, sizeof(*r));
}

/*
 * The audit trail's anchor: the seq and hash of its last line as the
 * supervisor last wrote it.  A table of its own, made on first use, so an
 * older catalog needs no migration.
 */
#define ANCHOR_TABLE \
	"CREATE TABLE IF NOT EXISTS audit_anchor (" \
	"id INTEGER PRIMARY KEY CHECK (id = 1), " \
	"seq INTEGER NOT NULL, head TEXT NOT NULL)"

int
catalog_audit_anchor_get(struct catalog *c, uint64_t *seq, char head[65])
{
	sqlite3_stmt	*st;
	int		 rc;

	if (exec(c, ANCHOR_TABLE) == -1 ||
	    (st = prep(c, "SELECT seq, head FROM audit_anchor WHERE id = 1"))
	    == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		col_text(st, 1, head, 65);
		sqlite3_finalize(st);
		return 1;
	}
	if (rc != SQLITE_DONE)
		cat_fail(c, "catalog: audit anchor");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
catalog_audit_anchor_set(struct catalog *c, uint64_t seq, const char *head)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (exec(c, ANCHOR_TABLE) == -1 ||
	    (st = prep(c, "INSERT OR REPLACE INTO audit_anchor (id, seq, head) "
	    "VALUES (1, ?1, ?2)")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, head, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cat_fail(c, "catalog: audit anchor");
	return 0;
}

/* --- trust -------------------------------------------------------------- */

int
catalog_check(struct catalog *c, char *why, size_t len)
{
	sqlite3_stmt	*st;
	const char	*r;
	int		 rc;

	if (!c->rdonly && sqlite3_db_readonly(c->db, "main") == 1) {
		snprintf(why, len, "read-only: the catalog cannot be written");
		return -1;
	}
	if ((st = prep(c, "PRAGMA quick_check(1)")) == NULL) {
		snprintf(why, len, "%s", c->err);
		return -1;
	}
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (r != NULL && strcmp(r, "ok") == 0) {
		sqlite3_finalize(st);
		return 0;
	}
	if (r != NULL)
		snprintf(why, len, "quick_check: %s", r);
	else
		snprintf(why, len, "quick_check: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	return -1;
}

static size_t
unknown_in(struct catalog *c, const char *job)
{
	struct artifact		 a;
	struct dirent		*de;
	enum job_kind		 kind;
	enum compress_kind	 comp;
	time_t			 t;
	char			 fjob[128], path[512];
	DIR			*d;
	int			 jfd;
	size_t			 n = 0;

	if ((jfd = openat(c->dirfd, job, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return 0;
	if ((d = fdopendir(jfd)) == NULL) {
		close(jfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || catalog_parse_name(de->d_name,
		    fjob, sizeof(fjob), &kind, &t, &comp) == -1 ||
		    strcmp(fjob, job) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", job, de->d_name);
		if (catalog_find(c, path, &a) == -1)
			n++;
	}
	closedir(d);
	return n;
}

size_t
catalog_unknown_files(struct catalog *c)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;
	size_t		 n = 0;

	if ((fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && fstatat(c->dirfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			n += unknown_in(c, de->d_name);
	closedir(d);
	return n;
}

/* -- remote copies ------------------------------------------------------ */

int
catalog_remote_add(struct catalog *c, const struct remote_copy *r)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "INSERT INTO remote_copies (remote, key, job, path,"
	    " artifact_id, size, sha256, etag, uploaded, verified_at) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	    " ON CONFLICT (remote, key) DO UPDATE SET job = ?3, path = ?4,"
	    " artifact_id = ?5, size = ?6, sha256 = ?7, etag = ?8,"
	    " uploaded = ?9, verified_at = ?10")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, r->remote, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->path, -1, SQLITE_STATIC);
	if (r->artifact_id > 0)
		sqlite3_bind_int64(st, 5, r->artifact_id);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->size);
	sqlite3_bind_text(st, 7, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->etag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)r->uploaded);
	if (r->verified_at > 0)
		sqlite3_bind_int64(st, 10, (sqlite3_int64)r->verified_at);
	return step_done(c, st, "add remote copy");
}

int
catalog_remote_list(struct catalog *c, const char *job,
    struct remote_copy **out, size_t *n)
{
	sqlite3_stmt		*st;
	struct remote_copy	*v = NULL, *r;
	size_t			 cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((st = prep(c, "SELECT id, remote, key, job, path, artifact_id,"
	    " size, sha256, etag, uploaded, verified_at FROM remote_copies"
	    " WHERE ?1 IS NULL OR job = ?1 ORDER BY uploaded DESC, id DESC"))
	    == NULL)
		return -1;
	if (job != NULL)
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		r = &v[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		col_text(st, 1, r->remote, sizeof(r->remote));
		col_text(st, 2, r->key, sizeof(r->key));
		col_text(st, 3, r->job, sizeof(r->job));
		col_text(st, 4, r->path, sizeof(r->path));
		r->artifact_id = sqlite3_column_int64(st, 5);
		r->size = (uint64_t)sqlite3_column_int64(st, 6);
		col_text(st, 7, r->sha256, sizeof(r->sha256));
		col_text(st, 8, r->etag, sizeof(r->etag));
		r->uploaded = (time_t)sqlite3_column_int64(st, 9);
		r->verified_at = (time_t)sqlite3_column_int64(st, 10);
	}
	if (rc != SQLITE_DONE) {
		cat_fail(c, "catalog: remote list");
		sqlite3_finalize(st);
		free(v);
		*n = 0;
		return -1;
	}
	sqlite3_finalize(st);
	*out = v;
	return 0;
}

int
catalog_remote_delete(struct catalog *c, int64_t id)
{
	sqlite3_stmt	*st;

	if ((st = prep(c, "DELETE FROM remote_copies WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return step_done(c, st, "delete remote copy");
}
