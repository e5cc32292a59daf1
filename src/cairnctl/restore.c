/*
 * restore.c -- cairnctl restore: check an artifact, then put it back.
 *
 * Every restore first reads the whole artifact: its compressed stream
 * must decompress to the end, its SHA-256 must equal the catalog's (when
 * the catalog knows it), a cairn MySQL dump must end with its completion
 * marker.  An artifact that fails, or that the catalog marks as failed
 * verification, is refused unless --force.
 *
 *   SQLite: decompressed into a temporary file next to --to PATH, fsynced,
 *   checked with PRAGMA integrity_check, then renamed onto PATH (never
 *   over an existing file without --force), and the folder fsynced.
 *
 *   An ".age" artifact is decrypted on the fly with the identities of
 *   -i FILE (or the job's age_identity_file); only authenticated plaintext
 *   goes on, and a broken or truncated file fails the check pass before
 *   anything is restored (docs/encryption.md).
 *
 *   MySQL: streamed into the stock `mariadb` (or `mysql`) client, with the
 *   credentials in a private --defaults-extra-file, never on argv.  With
 *   --database a single-database dump goes into another database: its
 *   CREATE DATABASE, USE and ALTER DATABASE lines are rewritten, and one
 *   whose bodies name its database is refused (restore_rename.c; see
 *   docs/control.md).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "cairn/age.h"
#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "cairn/sqlscan.h"
#include "cairn/unpack.h"
#include "cairn/util.h"
#include "cairnctl.h"
#include "restore_mysql.h"
#include "restore_rename.h"

#define RESTORE_CHUNK		(256 * 1024)
#define LINE_PREFIX_MAX		8192
/* --jobs: the CPUs, from 2 to 4 (docs/performance.md: on 2 CPUs, 2
 * connections restored 1.56x the stock client and 4 only 1.47x, the
 * loaders contending with a local server) */
#define RESTORE_JOBS_MIN	2
#define RESTORE_JOBS_MAX	4
/* without --jobs, fewer INSERTs than this load in one stream: starting the
 * loaders costs more than they save (bench/scale.sh, 10 tables) */
#define RESTORE_PARALLEL_MIN	32

struct ropts {
	const char	*identity;	/* -i: an age identity file */
	const char	*to;
	const char	*socket;
	const char	*host;
	const char	*port;
	const char	*user;
	const char	*password_file;
	const char	*database;
	const char	*client;
	unsigned	 jobs;		/* --jobs: connections loading rows */
	bool		 jobs_given;	/* say why when it cannot */
	bool		 no_defer_keys;	/* --no-defer-keys */
	const char	*remote;	/* --remote: an s3 section (fetch.c) */
	bool		 force;
};

typedef int	(*sink_fn)(void *arg, const unsigned char *, size_t);

/* -- the dump's lines: database statements, completion marker ----------- */

struct lines {
	bool		 rewrite;	/* replace the database name */
	const char	*dbname;	/* the new name */
	char		 buf[LINE_PREFIX_MAX];
	size_t		 len;
	bool		 passing;	/* the rest of a line, not buffered */
	uint64_t	 lineno;
	bool		 cairn;		/* line 1 is the format line */
	bool		 completed;	/* the last full line is the marker */
	bool		 partial;	/* data after the last newline */
	unsigned	 ndb;		/* CREATE DATABASE lines */
	char		 firstdb[256];
	char		 hostdb[256];	/* mysqldump's "-- Host:" line */
	sink_fn		 out;		/* NULL: count only */
	void		*out_arg;
};

static bool
starts(const char *s, size_t n, const char *p)
{
	size_t	 pl = strlen(p);

	return n >= pl && strncasecmp(s, p, pl) == 0;
}

/* could the line beginning with s (n bytes so far) be one we act on? */
static bool
maybe_db_line(const char *s, size_t n)
{
	static const char *const p[] = { "CREATE DATABASE", "USE ",
	    "ALTER DATABASE ", "-- cairn ", "-- Host: " };

	for (size_t i = 0; i < nitems(p); i++) {
		size_t	 m = n < strlen(p[i]) ? n : strlen(p[i]);

		if (strncasecmp(s, p[i], m) == 0)
			return true;
	}
	return false;
}

/* the first backquoted identifier in s[0..n): its span and unquoted name */
static bool
first_ident(const char *s, size_t n, size_t *from, size_t *to, char *name,
    size_t namelen)
{
	size_t	 i, o = 0;

	for (i = 0; i < n && s[i] != '`'; i++)
		;
	if (i == n)
		return false;
	*from = i++;
	for (; i < n; i++) {
		if (s[i] == '`') {
			if (i + 1 < n && s[i + 1] == '`') {
				i++;
			} else {
				*to = i + 1;
				name[o] = '\0';
				return true;
			}
		}
		if (o + 1 < namelen)
			name[o++] = s[i];
	}
	return false;
}

static int
lines_emit(struct lines *l, const char *s, size_t n)
{
	return l->out == NULL || n == 0 ? 0 :
	    l->out(l->out_arg, (const unsigned char *)s, n);
}

/* a whole line (newline included) that was buffered */
static int
lines_line(struct lines *l, const char *s, size_t n)
{
	char	 name[256], q[600];
	size_t	 from, to, o = 0;

	l->lineno++;
	if (l->lineno == 1 && starts(s, n, "-- cairn dump format "))
		l->cairn = true;
	l->completed = starts(s, n, "-- cairn dump completed ");
	rename_header(l->hostdb, sizeof(l->hostdb), s, n);
	/* ALTER DATABASE: the collation around a routine created under
	 * another one (src/worker/mysql_schema.c) */
	if (!starts(s, n, "CREATE DATABASE") && !starts(s, n, "USE `") &&
	    !starts(s, n, "ALTER DATABASE `"))
		return lines_emit(l, s, n);
	if (!first_ident(s, n, &from, &to, name, sizeof(name)))
		return lines_emit(l, s, n);
	if (starts(s, n, "CREATE DATABASE") && l->ndb++ == 0)
		snprintf(l->firstdb, sizeof(l->firstdb), "%s", name);
	if (!l->rewrite)
		return lines_emit(l, s, n);
	q[o++] = '`';
	for (const char *p = l->dbname; *p != '\0' && o + 3 < sizeof(q); p++) {
		if (*p == '`')
			q[o++] = '`';
		q[o++] = *p;
	}
	q[o++] = '`';
	if (lines_emit(l, s, from) == -1 || lines_emit(l, q, o) == -1)
		return -1;
	return lines_emit(l, s + to, n - to);
}

static int
lines_feed(void *arg, const unsigned char *p, size_t n)
{
	struct lines	*l = arg;
	const char	*s = (const char *)p;

	while (n > 0) {
		const char	*nl = memchr(s, '\n', n);
		size_t		 k = nl != NULL ? (size_t)(nl - s) + 1 : n;

		l->partial = nl == NULL;
		if (l->passing) {
			if (lines_emit(l, s, k) == -1)
				return -1;
			if (nl != NULL)
				l->passing = false;
		} else {
			/* buffer while the line may be one we act on */
			size_t	 room = sizeof(l->buf) - l->len;
			size_t	 take = k < room ? k : room;

			memcpy(l->buf + l->len, s, take);
			l->len += take;
			if (take == k && nl != NULL) {
				if (lines_line(l, l->buf, l->len) == -1)
					return -1;
				l->len = 0;
			} else if (take < k ||
			    !maybe_db_line(l->buf, l->len)) {
				/* an ordinary line: let it through */
				l->lineno++;
				l->completed = false;
				if (lines_emit(l, l->buf, l->len) == -1)
					return -1;
				l->len = 0;
				if (take < k && lines_emit(l, s + take,
				    k - take) == -1)
					return -1;
				l->passing = nl == NULL;
			}
		}
		s += k;
		n -= k;
	}
	return 0;
}

static int
lines_finish(struct lines *l)
{
	/* a last line without newline: passed on as it is */
	if (l->len > 0) {
		l->completed = false;
		if (lines_emit(l, l->buf, l->len) == -1)
			return -1;
		l->len = 0;
	}
	return 0;
}

/* -- checking ------------------------------------------------------------ */

struct check {
	struct unpack	*up;		/* the decompressor */
	EVP_MD_CTX	*md;
	uint64_t	 raw;
	uint64_t	 stored;
	char		 sha256[65];
	/* where the decompressed bytes go */
	sink_fn		 sink;
	void		*sink_arg;
	/* ".age": decrypted first */
	struct age_dec	*age;
	int		 age_sink_failed;
};


static int
check_sink(void *arg, const unsigned char *p, size_t n)
{
	struct check	*c = arg;

	c->raw += n;
	return c->sink != NULL ? c->sink(c->sink_arg, p, n) : 0;
}

/* Plaintext from the age decryptor: the compressed stream. */
static int
check_age_out(void *arg, const void *p, size_t n)
{
	struct check	*c = arg;

	if (unpack_feed(c->up, p, n) == -1) {
		c->age_sink_failed = 1;
		return -1;
	}
	return 0;
}

/*
 * Reads the file at path through the decompressor, hashing the stored
 * bytes; decompressed bytes go to sink.  0, or -1 with a cause in err.
 */
/*
 * Long (91 lines): the read-hash-decompress loop and its end-of-stream
 * checks share the decompressor state.
 */
static int
check_file(const char *path, enum compress_kind ck, sink_fn sink, void *arg,
    const struct age_identity *ids, size_t nids, struct check *c, char *err,
    size_t errlen)
{
	unsigned char	*buf, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	ssize_t		 n;
	int		 fd, rc = -1;

	memset(c, 0, sizeof(*c));
	c->sink = sink;
	c->sink_arg = arg;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(RESTORE_CHUNK);
	if ((c->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "sha256: cannot initialise");
		goto out;
	}
	if ((c->up = unpack_new(ck, check_sink, c)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (age_is_encrypted_name(path)) {
		if (nids == 0) {
			snprintf(err, errlen, "%s is encrypted: give an age "
			    "identity file with -i, or set age_identity_file "
			    "for its job", path);
			goto out;
		}
		c->age = age_dec_new(ids, nids, check_age_out, c);
	}
	for (;;) {
		n = read(fd, buf, RESTORE_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		c->stored += (uint64_t)n;
		EVP_DigestUpdate(c->md, buf, (size_t)n);
		if (c->age != NULL) {
			if (age_dec_write(c->age, buf, (size_t)n) == -1)
				goto age_failed;
			continue;
		}
		if (unpack_feed(c->up, buf, (size_t)n) == -1) {
			if (unpack_error(c->up)[0] != '\0')
				snprintf(err, errlen, "%s: %s", path,
				    unpack_error(c->up));
			else
				snprintf(err, errlen, "%s: cannot pass the "
				    "data on", path);
			goto out;
		}
	}
	if (c->age != NULL && age_dec_finish(c->age) == -1)
		goto age_failed;
	if (unpack_end(c->up) == -1) {
		snprintf(err, errlen, "%s: %s", path, unpack_error(c->up));
		goto out;
	}
	EVP_DigestFinal_ex(c->md, md, &mdlen);
	util_hex(c->sha256, md, 32);
	rc = 0;
	goto out;
age_failed:
	if (c->age_sink_failed && unpack_error(c->up)[0] != '\0')
		snprintf(err, errlen, "%s: %s", path, unpack_error(c->up));
	else if (c->age_sink_failed)
		snprintf(err, errlen, "%s: cannot pass the data on", path);
	else
		snprintf(err, errlen, "%s: age: %s", path,
		    age_dec_error(c->age));
out:
	age_dec_free(c->age);
	c->age = NULL;
	unpack_free(c->up);
	c->up = NULL;
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
	free(buf);
	close(fd);
	return rc;
}

/* -- the artifact and what the catalog says ------------------------------ */

struct art {
	char			 path[PATH_MAX];	/* the file */
	char			 rel[512];	/* "JOB/NAME" */
	char			 name[256];
	enum job_kind		 kind;
	enum compress_kind	 ck;
	bool			 in_catalog;
	struct artifact		 row;
	struct age_identity	*ids;	/* owns; ".age" */
	size_t			 nids;
};

static int
art_resolve(struct cli *c, const char *arg, struct art *a)
{
	struct catalog	*cat;
	struct stat	 sb;
	char		 job[128], err[512], *d1, *d2, *dir;
	time_t		 t;

	memset(a, 0, sizeof(*a));
	if (stat(arg, &sb) == 0)
		snprintf(a->path, sizeof(a->path), "%s", arg);
	else
		snprintf(a->path, sizeof(a->path), "%s/%s", c->backup_dir,
		    arg);
	if (stat(a->path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cli_warnx("restore: %s: %s", arg, errno != 0 &&
		    !S_ISREG(sb.st_mode) ? strerror(errno) :
		    "not a regular file");
		return CAIRN_E_NOINPUT;
	}
	d1 = xstrdup(a->path);
	snprintf(a->name, sizeof(a->name), "%s", basename(d1));
	free(d1);
	if (catalog_parse_name(a->name, job, sizeof(job), &a->kind, &t,
	    &a->ck) == -1) {
		cli_warnx("restore: %s: not an artifact name (expected "
		    "JOB_backup_YYYYMMDD_HHMMSS.sql.gz or .db.gz, maybe .age)",
		    a->name);
		return CAIRN_E_USAGE;
	}
	snprintf(a->rel, sizeof(a->rel), "%s/%s", job, a->name);

	/* the catalog: -d/config's folder, else the artifact's grandparent */
	d1 = xstrdup(a->path);
	d2 = xstrdup(dirname(d1));
	dir = c->backup_dir_set ? xstrdup(c->backup_dir) :
	    xstrdup(dirname(d2));
	free(d1);
	free(d2);
	cat = catalog_open(dir, CATALOG_RDONLY, err, sizeof(err));
	if (cat == NULL) {
		if (errno != ENOENT)
			cli_warnx("restore: catalog: %s", err);
	} else {
		if (catalog_find(cat, a->rel, &a->row) == 0)
			a->in_catalog = true;
		catalog_close(cat);
	}
	if (!a->in_catalog)
		cli_warnx("restore: %s: not in the catalog of %s: its "
		    "checksum cannot be checked", a->rel, dir);
	free(dir);
	return CAIRN_E_OK;
}

/* The identities for an ".age" artifact: -i, else its job's file. */
static int
art_identity(struct cli *c, struct art *a, const char *path)
{
	const struct job_conf	*j;
	char			 job[128], buf[8192], why[192];
	enum job_kind		 kind;
	enum compress_kind	 ck;
	time_t			 t;
	ssize_t			 r;
	int			 fd, n;

	if (path == NULL && c->conf != NULL && catalog_parse_name(a->name,
	    job, sizeof(job), &kind, &t, &ck) == 0 &&
	    (j = conf_job_find(c->conf, job)) != NULL)
		path = j->age_identity_file;
	if (path == NULL) {
		cli_warnx("restore: %s is encrypted: give the age identity "
		    "file with -i FILE (or set age_identity_file for its "
		    "job); or decrypt it yourself: age -d -i key.txt FILE",
		    a->rel);
		return CAIRN_E_USAGE;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_warnx("restore: age identity file %s: %s", path,
		    strerror(errno));
		return CAIRN_E_NOINPUT;
	}
	r = util_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0 || r == (ssize_t)sizeof(buf) - 1) {
		explicit_bzero(buf, sizeof(buf));
		cli_warnx("restore: age identity file %s: unreadable or too "
		    "large", path);
		return CAIRN_E_NOINPUT;
	}
	buf[r] = '\0';
	n = age_identities_parse(buf, &a->ids, why, sizeof(why));
	explicit_bzero(buf, sizeof(buf));
	if (n < 0) {
		cli_warnx("restore: age identity file %s: %s", path, why);
		return CAIRN_E_CONFIG;
	}
	a->nids = (size_t)n;
	return CAIRN_E_OK;
}

/* after the check pass: 0 ok, else a code (message printed) */
static int
art_judge(const struct art *a, const struct check *c, bool force)
{
	if (!a->in_catalog)
		return CAIRN_E_OK;
	if (a->row.status == ART_FAILED_VERIFY) {
		cli_warnx("restore: %s failed its last verification (%s)%s",
		    a->rel, a->row.verify_result, force ? ", restoring "
		    "anyway (--force)" : "; use --force to restore it "
		    "anyway");
		if (!force)
			return CAIRN_E_VERIFY;
	}
	if (a->row.sha256[0] != '\0' && strcmp(a->row.sha256, c->sha256) != 0) {
		cli_warnx("restore: %s: SHA-256 %s differs from the catalog's "
		    "%s%s", a->rel, c->sha256, a->row.sha256, force ?
		    ", restoring anyway (--force)" : "; use --force to "
		    "restore it anyway");
		if (!force)
			return CAIRN_E_VERIFY;
	}
	return CAIRN_E_OK;
}

/* -- SQLite -------------------------------------------------------------- */

static int
fd_sink(void *arg, const unsigned char *p, size_t n)
{
	return util_write_all(*(int *)arg, p, n) == -1 ? -1 : 0;
}

static int
sqlite_integrity(const char *path, char *msg, size_t msglen)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	char		*uri;
	int		 rc = -1, r;

	uri = sqlite3_mprintf("file:%s?immutable=1", path);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "%s", db ? sqlite3_errmsg(db) :
		    "out of memory");
		goto out;
	}
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		snprintf(msg, msglen, "%s", sqlite3_errmsg(db));
		goto out;
	}
	snprintf(msg, msglen, "%s", (const char *)sqlite3_column_text(st, 0));
	rc = strcmp(msg, "ok") == 0 ? 0 : -1;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	sqlite3_free(uri);
	return rc;
}

/*
 * Long (105 lines): each step of the atomic replace (copy, check, fsync,
 * rename) needs the clean-up of the ones before.
 */
static int
restore_sqlite(const struct art *a, const struct ropts *o)
{
	struct check	 c;
	struct stat	 sb;
	char		*d, *b, *dir, *tmp, *side, err[1024], msg[512];
	int		 fd, dfd, code = CAIRN_E_OK;
	mode_t		 um;

	if (o->to == NULL) {
		cli_warnx("restore: %s is a SQLite artifact: give the file "
		    "to restore to with --to PATH", a->rel);
		return CAIRN_E_USAGE;
	}
	if (lstat(o->to, &sb) == 0) {
		if (!o->force) {
			cli_warnx("restore: %s exists; use --force to "
			    "replace it", o->to);
			return CAIRN_E_CANTCREAT;
		}
		if (!S_ISREG(sb.st_mode)) {
			cli_warnx("restore: %s exists and is not a regular "
			    "file", o->to);
			return CAIRN_E_CANTCREAT;
		}
	}
	/* a leftover journal or WAL would be applied to the restored file */
	for (int i = 0; i < 3; i++) {
		static const char *const sfx[] = { "-wal", "-journal",
		    "-shm" };

		side = xasprintf("%s%s", o->to, sfx[i]);
		if (lstat(side, &sb) == 0) {
			cli_warnx("restore: %s exists: an application may "
			    "still use %s; stop it and remove %s first",
			    side, o->to, side);
			free(side);
			return CAIRN_E_CANTCREAT;
		}
		free(side);
	}
	d = xstrdup(o->to);
	b = xstrdup(o->to);
	dir = xstrdup(dirname(d));
	tmp = xasprintf("%s/.%s.cairn-restore.XXXXXX", dir, basename(b));
	free(d);
	free(b);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		cli_warnx("restore: %s: %s", tmp, strerror(errno));
		free(tmp);
		free(dir);
		return CAIRN_E_CANTCREAT;
	}
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if (check_file(a->path, a->ck, fd_sink, &fd, a->ids, a->nids, &c,
	    err,
	    sizeof(err)) == -1) {
		cli_warnx("restore: %s", err);
		code = CAIRN_E_VERIFY;
		goto fail;
	}
	if ((code = art_judge(a, &c, o->force)) != CAIRN_E_OK)
		goto fail;
	if (fsync(fd) == -1) {
		cli_warnx("restore: %s: fsync: %s", tmp, strerror(errno));
		code = CAIRN_E_IOERR;
		goto fail;
	}
	close(fd);
	fd = -1;
	if (sqlite_integrity(tmp, msg, sizeof(msg)) == -1) {
		cli_warnx("restore: %s: integrity check failed: %s", a->rel,
		    msg);
		code = CAIRN_E_VERIFY;
		goto fail;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, o->to,
	    o->force ? 0 : RENAME_NOREPLACE) == -1) {
		cli_warnx("restore: %s: %s", o->to, errno == EEXIST ?
		    "appeared meanwhile; use --force to replace it" :
		    strerror(errno));
		code = CAIRN_E_CANTCREAT;
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(dfd) == -1)
			cli_warnx("restore: %s: fsync: %s", dir,
			    strerror(errno));
		close(dfd);
	}
	printf("restored %s to %s (%llu bytes, integrity ok%s)\n", a->rel,
	    o->to, (unsigned long long)c.raw, a->in_catalog ?
	    ", checksum matches the catalog" : "");
	free(tmp);
	free(dir);
	return CAIRN_E_OK;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(dir);
	return code;
}

/* -- MySQL --------------------------------------------------------------- */

/* a value in an option file: "..." with \ and " escaped */
static void
opt_value(FILE *fp, const char *key, const char *v)
{
	fprintf(fp, "%s=\"", key);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', fp);
		fputc(*v, fp);
	}
	fputs("\"\n", fp);
}

/* a private folder with the client's option file; returns its path */
static char *
mysql_defaults(const struct ropts *o, char **dirp)
{
	char	*dir, *path, *pw = NULL;
	FILE	*fp;
	int	 fd;

	dir = xasprintf("%s/cairnctl.XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		cli_warnx("restore: %s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/client.cnf", dir);
	if (o->password_file != NULL && cli_read_secret(
	    "restore: --password-file", o->password_file, &pw) == -1)
		goto fail;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		cli_warnx("restore: %s: %s", path, strerror(errno));
		goto fail;
	}
	fputs("[client]\n", fp);
	if (o->user != NULL)
		opt_value(fp, "user", o->user);
	if (pw != NULL)
		opt_value(fp, "password", pw);
	if (o->socket != NULL)
		opt_value(fp, "socket", o->socket);
	if (o->host != NULL)
		opt_value(fp, "host", o->host);
	if (o->port != NULL)
		opt_value(fp, "port", o->port);
	if (o->host != NULL && o->socket == NULL)
		fputs("protocol=tcp\n", fp);
	if (fclose(fp) == EOF) {
		cli_warnx("restore: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	*dirp = dir;
	return path;
fail:
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return NULL;
}

/*
 * Pass 1 also reads the dump as the stock client will: a client command
 * outside a statement (\\! touch ..., system ..., source ...) is refused
 * whatever --force says; nothing cairn writes reads as one.
 */
struct prescan {
	struct lines	*l;
	struct sqlscan	*scan;
	struct rplan	*plan;		/* rows over several connections */
	char		 cmd[16];	/* the first command found */
	uint64_t	 line;
	unsigned	 ndb;		/* CREATE DATABASE statements */
	bool		 multiline;	/* a database name spans lines */
	struct rename_check rename;	/* what --database cannot rename */
	struct str_hex {
		char	 hex[2 * 256 + 1];
	}		 dbs[64];	/* their names, hex, the first 64 */
};

static int
prescan_item(void *arg, const struct sqlscan_item *it)
{
	struct prescan	*ps = arg;

	char		 db[256];

	(void)rplan_item(ps->plan, it);
	rename_item(&ps->rename, it, sqlscan_quoting(ps->scan),
	    ps->l->hostdb);
	if (it->kind == SQLSCAN_STMT && sqlscan_create_db(it->text, it->len,
	    db, sizeof(db)) == 1) {
		if (strpbrk(db, "\r\n") != NULL)
			ps->multiline = true;
		if (ps->ndb < nitems(ps->dbs))
			util_hex(ps->dbs[ps->ndb].hex, (const unsigned char *)db,
			    strlen(db));
		ps->ndb++;
	}
	if (it->kind == SQLSCAN_COMMAND && ps->cmd[0] == '\0') {
		snprintf(ps->cmd, sizeof(ps->cmd), "%s", it->text);
		ps->line = it->line;
	}
	return 0;
}

static int
prescan_feed(void *arg, const unsigned char *p, size_t n)
{
	struct prescan	*ps = arg;

	if (lines_feed(ps->l, p, n) == -1)
		return -1;
	/* a scan error (a dump cut short) is the marker check's business;
	 * -1 here: a rows line the fast path could not pass, scan again */
	return rplan_scan(ps->plan, ps->scan, (const char *)p, n);
}

/*
 * Does any of the databases (hex names) hold a table, view, routine or
 * event on the target?  Asks the client; 1 yes (the first such name in
 * name), 0 no, -1 could not tell (message printed).
 */
static int
target_nonempty(const char *client, const char *cnf, const struct str_hex *dbs,
    size_t n, char *name, size_t namelen)
{
	char	*q, *arg, *in = xstrdup(""), *t;
	int	 p[2], st;
	ssize_t	 k;
	pid_t	 pid;

	for (size_t i = 0; i < n; i++) {
		t = xasprintf("%s%sCONVERT(0x%s USING utf8mb4)", in,
		    i == 0 ? "" : ", ", dbs[i].hex);
		free(in);
		in = t;
	}
	q = xasprintf("SELECT s FROM (SELECT TABLE_SCHEMA s FROM "
	    "information_schema.TABLES UNION ALL SELECT ROUTINE_SCHEMA FROM "
	    "information_schema.ROUTINES UNION ALL SELECT EVENT_SCHEMA FROM "
	    "information_schema.EVENTS) x WHERE s IN (%s) LIMIT 1", in);
	free(in);
	arg = xasprintf("--defaults-extra-file=%s", cnf);
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		cli_warnx("restore: %s", strerror(errno));
		free(q);
		free(arg);
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[1], 1) == -1)
			_exit(127);
		execl(client, client, arg, "--batch", "-N", "-e", q,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	k = util_read_all(p[0], name, namelen - 1);
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	free(q);
	free(arg);
	if (k < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		cli_warnx("restore: %s could not list what the target "
		    "databases hold (see its message above)", client);
		return -1;
	}
	name[k] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return k > 0;
}

static const char *
mysql_client(const struct ropts *o)
{
	static char	 found[PATH_MAX];
	static const char *const names[] = { "mariadb", "mysql" };
	const char	*path = getenv("PATH");
	char		*copy, *save = NULL, *d;

	if (o->client != NULL)
		return o->client;
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (size_t i = 0; i < nitems(names); i++) {
		copy = xstrdup(path);
		for (d = strtok_r(copy, ":", &save); d != NULL;
		    d = strtok_r(NULL, ":", &save)) {
			snprintf(found, sizeof(found), "%s/%s", d, names[i]);
			if (access(found, X_OK) == 0) {
				free(copy);
				return found;
			}
		}
		free(copy);
	}
	return NULL;
}

/* the artifact read again for rload_run(): as it is, or rewritten */
struct reread {
	const struct art	*a;
	const struct ropts	*o;
};

static int
reread_raw(void *arg, rload_sink_fn sink, void *sink_arg, char *err,
    size_t errlen)
{
	const struct reread	*rr = arg;
	struct check		 c;

	return check_file(rr->a->path, rr->a->ck, sink, sink_arg, rr->a->ids,
	    rr->a->nids, &c, err, errlen);
}

static int
reread_client(void *arg, rload_sink_fn sink, void *sink_arg, char *err,
    size_t errlen)
{
	const struct reread	*rr = arg;
	struct check		 c;
	struct lines		 l;

	memset(&l, 0, sizeof(l));
	l.out = sink;
	l.out_arg = sink_arg;
	if (rr->o->database != NULL) {
		l.rewrite = true;
		l.dbname = rr->o->database;
	}
	if (check_file(rr->a->path, rr->a->ck, lines_feed, &l, rr->a->ids,
	    rr->a->nids, &c, err, errlen) == -1)
		return -1;
	return lines_finish(&l);
}

/* the rows over o->jobs connections (restore_mysql.c) */
static int
restore_mysql_parallel(const struct art *a, const struct ropts *o,
    struct rplan *plan, const char *client, const char *cnf)
{
	struct reread		 rr = { a, o };
	struct rload_opts	 lo = {
		.client = client, .cnf = cnf, .database = o->database,
		.jobs = o->jobs, .read_raw = reread_raw, .read_raw_arg = &rr,
		.read_client = reread_client, .read_client_arg = &rr,
	};
	uint64_t		 bytes = 0;
	unsigned		 keys;
	int			 code;

	keys = rplan_defer_keys(plan, !o->no_defer_keys);
	/* no more loaders than statements to share */
	if (rplan_statements(plan) < lo.jobs)
		lo.jobs = (unsigned)rplan_statements(plan);
	fflush(stdout);
	if ((code = rload_run(plan, &lo, &bytes)) != CAIRN_E_OK) {
		cli_warnx("restore: the restore of %s failed", a->rel);
		return code;
	}
	printf("restored %s into %s%s%s (%llu bytes of SQL, rows over %u "
	    "connections, secondary keys of %u table%s after the rows%s)\n",
	    a->rel, o->socket ? o->socket : o->host ? o->host :
	    "the default server", o->database ? ", database " : "",
	    o->database ? o->database : "", (unsigned long long)bytes,
	    lo.jobs, keys, keys == 1 ? "" : "s",
	    a->in_catalog ? ", checksum matches the catalog" : "");
	return CAIRN_E_OK;
}

static int	restore_mysql_checked(const struct art *,
		    const struct ropts *, const struct check *,
		    const struct lines *, const struct prescan *,
		    const char *);

static int
restore_mysql(const struct art *a, const struct ropts *o)
{
	struct check	 c;
	struct lines	 l;
	struct prescan	 ps;
	const char	*client;
	char		 err[1024];
	int		 code;

	if (o->to != NULL) {
		cli_warnx("restore: %s is a MySQL dump: --to is for SQLite "
		    "artifacts; give the server (--socket or --host)", a->rel);
		return CAIRN_E_USAGE;
	}
	if ((client = mysql_client(o)) == NULL) {
		cli_warnx("restore: no mariadb or mysql client found in PATH "
		    "(--client PATH)");
		return CAIRN_E_UNAVAILABLE;
	}

	/* pass 1: the whole artifact checks out (twice if the fast path
	 * of the rows sections met a line it could not pass) */
	for (int slow = 0;; slow++) {
		int	 r;

		memset(&l, 0, sizeof(l));
		memset(&ps, 0, sizeof(ps));
		ps.l = &l;
		rename_init(&ps.rename, o->database);
		ps.plan = rplan_new();
		if (slow)
			rplan_slow(ps.plan);
		if ((ps.scan = sqlscan_new(SQLSCAN_MAX_PACKET, prescan_item,
		    &ps)) == NULL) {
			cli_warnx("restore: %s", strerror(errno));
			rplan_free(ps.plan);
			return CAIRN_E_OSERR;
		}
		sqlscan_keep(ps.scan, 1024 * 1024);	/* heads suffice */
		r = check_file(a->path, a->ck, prescan_feed, &ps, a->ids,
		    a->nids, &c, err, sizeof(err));
		if (r == 0 && lines_finish(&l) == 0)
			break;
		sqlscan_free(ps.scan);
		if (r == -1 && !slow && rplan_rescan(ps.plan)) {
			rplan_free(ps.plan);
			continue;
		}
		rplan_free(ps.plan);
		cli_warnx("restore: %s", err);
		return CAIRN_E_VERIFY;
	}
	(void)sqlscan_end(ps.scan);
	sqlscan_free(ps.scan);
	code = restore_mysql_checked(a, o, &c, &l, &ps, client);
	rplan_free(ps.plan);
	return code;
}

/* restore_mysql() after pass 1 */
static int
restore_mysql_checked(const struct art *a, const struct ropts *o,
    const struct check *cp, const struct lines *lp,
    const struct prescan *psp, const char *client)
{
	struct check	 c = *cp;
	struct lines	 l = *lp;
	struct prescan	 ps = *psp;
	char		*cnf, *cnfdir = NULL, *arg, err[1024], hdr[700];
	int		 p[2], st, code;
	pid_t		 pid;

	if (ps.cmd[0] != '\0') {
		cli_warnx("restore: %s: line %llu: the stock client would run "
		    "the client command \"%s\" there: refusing to restore "
		    "it (not even with --force)", a->rel,
		    (unsigned long long)ps.line, ps.cmd);
		return CAIRN_E_VERIFY;
	}
	if ((code = art_judge(a, &c, o->force)) != CAIRN_E_OK)
		return code;
	if (l.cairn && !l.completed) {
		cli_warnx("restore: %s: no completion marker at the end: the "
		    "dump is incomplete%s", a->rel, o->force ?
		    ", restoring anyway (--force)" : "; use --force to "
		    "restore it anyway");
		if (!o->force)
			return CAIRN_E_VERIFY;
	}
	if (o->database != NULL && ps.multiline) {
		/* the rename works on whole lines */
		cli_warnx("restore: %s: its database's name spans lines: "
		    "--database cannot rename it; restore it under its own "
		    "name", a->rel);
		return CAIRN_E_USAGE;
	}
	if (o->database != NULL && ps.ndb > 1) {
		cli_warnx("restore: %s holds %u databases: --database works "
		    "with a single-database dump", a->rel, ps.ndb);
		return CAIRN_E_USAGE;
	}
	if (o->database == NULL && ps.ndb == 0) {
		cli_warnx("restore: %s does not create its database: name "
		    "one with --database", a->rel);
		return CAIRN_E_USAGE;
	}
	/* a body naming its own database: before either path runs */
	if ((code = rename_judge(&ps.rename, a->rel, o->force)) != CAIRN_E_OK)
		return code;

	/* pass 2: into the client */
	if ((cnf = mysql_defaults(o, &cnfdir)) == NULL)
		return CAIRN_E_CANTCREAT;
	/* into an empty (or new) database only, unless --force: a restore
	 * over old objects would silently mix them with the dump's */
	if (!o->force) {
		struct str_hex	 one;
		char		 busy[512];
		int		 r;

		if (o->database != NULL)
			util_hex(one.hex, (const unsigned char *)o->database,
			    strlen(o->database));
		r = target_nonempty(client, cnf, o->database != NULL ? &one :
		    ps.dbs, o->database != NULL ? 1 : (ps.ndb < nitems(ps.dbs) ?
		    ps.ndb : nitems(ps.dbs)), busy, sizeof(busy));
		if (r != 0) {
			if (r == 1)
				cli_warnx("restore: database %s on the target "
				    "is not empty: restoring into it would mix "
				    "its objects with the dump's; drop it, "
				    "choose another with --database, or use "
				    "--force", busy);
			code = r == 1 ? CAIRN_E_CANTCREAT : CAIRN_E_UNAVAILABLE;
			goto out;
		}
	}
	/* a cairn dump whose rows sections check out (a renaming with a
	 * line break would move the lines the plan counts) */
	if (o->jobs > 1 && l.cairn && l.completed &&
	    rplan_unusable(ps.plan) == NULL && (o->jobs_given ||
	    rplan_statements(ps.plan) >= RESTORE_PARALLEL_MIN) &&
	    (o->database == NULL ||
	    strpbrk(o->database, "\r\n") == NULL)) {
		code = restore_mysql_parallel(a, o, ps.plan, client, cnf);
		goto out;
	}
	if (o->jobs_given && o->jobs > 1 && l.cairn && l.completed)
		cli_warnx("restore: %s: rows loaded in one stream: %s", a->rel,
		    rplan_unusable(ps.plan) != NULL ? rplan_unusable(ps.plan) :
		    "--database has a line break");
	if (pipe2(p, O_CLOEXEC) == -1) {
		cli_warnx("restore: pipe: %s", strerror(errno));
		code = CAIRN_E_OSERR;
		goto out;
	}
	arg = xasprintf("--defaults-extra-file=%s", cnf);
	fflush(stdout);
	switch (pid = fork()) {
	case -1:
		cli_warnx("restore: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		free(arg);
		code = CAIRN_E_OSERR;
		goto out;
	case 0:
		if (dup2(p[0], 0) == -1)
			_exit(CAIRN_E_OSERR);
		/* --binary-mode: without it the client drops the CR of a
		 * line ending in CR LF, even inside a quoted name or a
		 * routine body, and restores another name
		 * (t/67-mysql-crlf.sh) */
		execl(client, client, arg, "--batch", "--binary-mode",
		    (char *)NULL);
		fprintf(stderr, "cairnctl: restore: %s: %s\n", client,
		    strerror(errno));
		_exit(127);
	}
	free(arg);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	memset(&l, 0, sizeof(l));
	l.out = fd_sink;
	l.out_arg = &p[1];
	if (o->database != NULL) {
		l.rewrite = true;
		l.dbname = o->database;
	}
	code = CAIRN_E_OK;
	if (o->database != NULL && ps.ndb == 0) {
		/* mysqldump without --databases: make and use the target */
		struct lines	 pre;
		int		 n;

		memset(&pre, 0, sizeof(pre));
		pre.out = fd_sink;
		pre.out_arg = &p[1];
		pre.rewrite = true;
		pre.dbname = o->database;
		n = snprintf(hdr, sizeof(hdr), "CREATE DATABASE IF NOT EXISTS "
		    "`x`;\nUSE `x`;\n");
		if (lines_feed(&pre, (unsigned char *)hdr, (size_t)n) == -1)
			code = CAIRN_E_IOERR;
	}
	if (code == CAIRN_E_OK && (check_file(a->path, a->ck, lines_feed,
	    &l, a->ids, a->nids, &c, err, sizeof(err)) == -1 || lines_finish(&l) == -1)) {
		cli_warnx("restore: %s", err);
		code = CAIRN_E_IOERR;
	}
	close(p[1]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		cli_warnx("restore: %s %s %d: the restore of %s failed (see "
		    "its message above)", client, WIFEXITED(st) ? "exited" :
		    "killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) :
		    WTERMSIG(st), a->rel);
		code = CAIRN_E_FAIL;
	} else if (code == CAIRN_E_OK)
		printf("restored %s into %s%s%s (%llu bytes of SQL%s)\n",
		    a->rel, o->socket ? o->socket : o->host ? o->host :
		    "the default server", o->database ? ", database " : "",
		    o->database ? o->database : "",
		    (unsigned long long)c.raw, a->in_catalog ?
		    ", checksum matches the catalog" : "");
out:
	unlink(cnf);
	rmdir(cnfdir);
	free(cnf);
	free(cnfdir);
	return code;
}

static int
restore_one(struct cli *c, const char *arg, const struct ropts *o)
{
	struct art	 a;
	int		 code;

	if ((code = art_resolve(c, arg, &a)) != CAIRN_E_OK)
		return code;
	if (age_is_encrypted_name(a.name) &&
	    (code = art_identity(c, &a, o->identity)) != CAIRN_E_OK)
		return code;
	code = a.kind == JOB_SQLITE ? restore_sqlite(&a, o) :
	    restore_mysql(&a, o);
	age_identities_free(a.ids, a.nids);
	return code;
}

int
cmd_restore(struct cli *c, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "to",		required_argument,	NULL, 't' },
		{ "force",	no_argument,		NULL, 'F' },
		{ "socket",	required_argument,	NULL, 'S' },
		{ "host",	required_argument,	NULL, 'H' },
		{ "port",	required_argument,	NULL, 'P' },
		{ "user",	required_argument,	NULL, 'u' },
		{ "password-file", required_argument,	NULL, 'p' },
		{ "database",	required_argument,	NULL, 'D' },
		{ "client",	required_argument,	NULL, 'C' },
		{ "identity",	required_argument,	NULL, 'i' },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "no-defer-keys", no_argument,		NULL, 'K' },
		{ "remote",	required_argument,	NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct ropts	 o;
	struct fetched	 fx = { NULL, NULL };
	int		 ch, code;

	memset(&o, 0, sizeof(o));
	{
		long	 cpus = sysconf(_SC_NPROCESSORS_ONLN);

		o.jobs = cpus < RESTORE_JOBS_MIN ? RESTORE_JOBS_MIN :
		    cpus > RESTORE_JOBS_MAX ? RESTORE_JOBS_MAX : (unsigned)cpus;
	}
	optind = 0;	/* glibc: re-initialise getopt */
	while ((ch = getopt_long(argc, argv, "i:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': o.identity = optarg; break;
		case 't': o.to = optarg; break;
		case 'F': o.force = true; break;
		case 'S': o.socket = optarg; break;
		case 'H': o.host = optarg; break;
		case 'P': o.port = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.password_file = optarg; break;
		case 'D': o.database = optarg; break;
		case 'C': o.client = optarg; break;
		case 'j':
			if (strspn(optarg, "0123456789") != strlen(optarg) ||
			    strlen(optarg) > 2 || atoi(optarg) < 1 ||
			    atoi(optarg) > 32) {
				cli_warnx("restore: --jobs %s: expected a "
				    "number from 1 to 32", optarg);
				return CAIRN_E_USAGE;
			}
			o.jobs = (unsigned)atoi(optarg);
			o.jobs_given = true;
			break;
		case 'R': o.remote = optarg; break;
		case 'K': o.no_defer_keys = true; break;
		default:
			cli_warnx("usage: restore ARTIFACT --to PATH [--force] "
			    "| restore ARTIFACT [--socket S | --host H "
			    "[--port P]] [--user U] [--password-file F] "
			    "[--database DB] [--jobs N] [--no-defer-keys] "
			    "[--force] "
			    "[-i IDENTITY_FILE] [--remote S3_SECTION]");
			return CAIRN_E_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_warnx("restore: give exactly one artifact");
		return CAIRN_E_USAGE;
	}
	if (o.port != NULL && strspn(o.port, "0123456789") != strlen(o.port)) {
		cli_warnx("restore: --port %s: expected a number", o.port);
		return CAIRN_E_USAGE;
	}
	if (o.database != NULL && (o.database[0] == '\0' ||
	    strlen(o.database) > 64)) {
		cli_warnx("restore: --database: expected a name of 1 to 64 "
		    "characters");
		return CAIRN_E_USAGE;
	}
	/* --remote: the off-site copy, downloaded and checked first */
	if (o.remote != NULL && (code = fetch_remote(c, o.remote,
	    argv[optind], &fx)) != CAIRN_E_OK)
		return code;
	code = restore_one(c, o.remote != NULL ? fx.path : argv[optind], &o);
	fetch_cleanup(&fx);
	return code;
}
