/*
 * verify -- the verify worker's checks (see include/cairn/verify.h and
 * docs/verify-and-prune.md).
 *
 * One pass reads the file once: every byte goes through SHA-256 and the
 * decompressor, and the decompressed bytes go to a sink (the SQL scanner
 * for a MySQL dump, a temporary file for SQLite).  The restore test is a
 * second pass whose sink also executes the statements.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <mysql.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>

#include "cairn/errors.h"
#include "myconn.h"
#include "cairn/retention.h"
#include "cairn/sqlscan.h"
#include "cairn/util.h"
#include "cairn/age.h"
#include "cairn/verify.h"

#define IN_CHUNK	(128 * 1024)
#define OUT_CHUNK	(256 * 1024)
#define TAIL_LEN	96
#define HEAD_LEN	64
#define FORMAT_LINE	"-- cairn dump format 1"
#define MARKER		"-- cairn dump completed "
#define VERIFY_STMT_KEEP	(1024 * 1024)	/* bytes of a statement held */

static const char *const check_names[VERIFY_CHECK_MAX] = {
	"stream", "sha256", "size", "format", "rows", "integrity", "restore",
	"age",
};

const char *
verify_check_name(enum verify_check c)
{
	return c < VERIFY_CHECK_MAX ? check_names[c] : "unknown";
}

void
verify_expect_init(struct verify_expect *e)
{
	memset(e, 0, sizeof(*e));
	e->raw_bytes = -1;
	e->stored_bytes = -1;
}

void
verify_result_free(struct verify_result *res)
{
	if (res == NULL)
		return;
	free(res->tables);
	res->tables = NULL;
	res->ntables = 0;
}

static void
fail(struct verify_result *res, enum verify_check c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(struct verify_result *res, enum verify_check c, const char *fmt, ...)
{
	va_list	 ap;

	res->ran |= 1u << c;
	if (res->failed & (1u << c))
		return;		/* the first cause per check is the one */
	res->failed |= 1u << c;
	va_start(ap, fmt);
	vsnprintf(res->detail[c], sizeof(res->detail[c]), fmt, ap);
	va_end(ap);
}

static void
passed(struct verify_result *res, enum verify_check c)
{
	res->ran |= 1u << c;
}

/* The message is the first failure in check order. */
static void
summarise(struct verify_result *res)
{
	for (int c = 0; c < VERIFY_CHECK_MAX; c++)
		if (res->failed & (1u << c)) {
			snprintf(res->message, sizeof(res->message), "%s",
			    res->detail[c]);
			return;
		}
	res->message[0] = '\0';
}

static int
cancelled(const struct verify_opts *o)
{
	return o != NULL && o->cancel != NULL && *o->cancel;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t	 ls = strlen(s), lf = strlen(suf);

	return ls >= lf && strcmp(s + ls - lf, suf) == 0;
}

/* The compression of NAME, under an ".age" suffix if there is one. */
static enum compress_kind
name_compression(const char *name)
{
	size_t	 len = strlen(name);

	if (age_is_encrypted_name(name))
		len -= strlen(AGE_SUFFIX);
	if (len >= 3 && strncmp(name + len - 3, ".gz", 3) == 0)
		return COMPRESS_GZIP;
	if (len >= 4 && strncmp(name + len - 4, ".zst", 4) == 0)
		return COMPRESS_ZSTD;
	return COMPRESS_NONE;
}

static enum verify_kind
name_kind(const char *name)
{
	if (strstr(name, ".sql.") != NULL || has_suffix(name, ".sql"))
		return VERIFY_KIND_MYSQL;
	if (strstr(name, ".db.") != NULL || has_suffix(name, ".db"))
		return VERIFY_KIND_SQLITE;
	return VERIFY_KIND_OPAQUE;
}

/* ---- table statistics ---- */

struct tables {
	struct table_stat	*v;
	size_t			 n, cap;
	size_t			 last;	/* lookup cache: INSERTs come grouped */
};

static struct table_stat *
tables_get(struct tables *t, const char *name, int create)
{
	if (t->last < t->n && strcmp(t->v[t->last].name, name) == 0)
		return &t->v[t->last];
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0) {
			t->last = i;
			return &t->v[i];
		}
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		size_t			 ncap = t->cap ? t->cap * 2 : 16;
		struct table_stat	*nv;

		if ((nv = reallocarray(t->v, ncap, sizeof(*nv))) == NULL)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", name);
	t->last = t->n;
	return &t->v[t->n++];
}

static const struct table_stat *
expect_find(const struct verify_expect *e, const char *name)
{
	for (size_t i = 0; e->tables != NULL && i < e->ntables; i++)
		if (strcmp(e->tables[i].name, name) == 0)
			return &e->tables[i];
	return NULL;
}

/* ---- the MySQL sink: scanner, row counts, format line and marker ---- */

struct restore;

struct dump_sink {
	struct sqlscan		*scan;
	struct tables		 counted;	/* rows in INSERTs */
	struct tables		 recorded;	/* "-- cairn rows" lines */
	char			 db[96];	/* current USE */
	char			 head[HEAD_LEN + 1];
	size_t			 head_len;
	char			 tail[TAIL_LEN];
	size_t			 tail_len;
	uint64_t		 total;
	char			 err[192];	/* first content problem */
	int			 oom;
	struct restore		*restore;	/* NULL: count only */
};

static int	restore_stmt(struct restore *, const struct sqlscan_item *,
		    struct dump_sink *);

static void
sink_err(struct dump_sink *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sink_err(struct dump_sink *m, const char *fmt, ...)
{
	va_list	 ap;

	if (m->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

/* "-- cairn rows `db`.`tbl` N" / "-- cairn table `db`.`tbl`" */
static void
sink_comment(struct dump_sink *m, const struct sqlscan_item *it)
{
	const char		*p = it->text, *end = it->text + it->len;
	char			 db[96], tbl[96], key[192], *ep;
	struct table_stat	*ts;
	unsigned long long	 n;

	if (strncmp(p, "-- cairn rows ", 14) != 0)
		return;
	p += 14;
	if (sqlscan_ident(&p, end, db, sizeof(db)) == -1 || p >= end ||
	    *p != '.' || (p++, sqlscan_ident(&p, end, tbl, sizeof(tbl))) == -1) {
		sink_err(m, "line %" PRIu64 ": bad rows line", it->line);
		return;
	}
	while (p < end && *p == ' ')
		p++;
	errno = 0;
	n = strtoull(p, &ep, 10);
	if (p == end || !isdigit((unsigned char)*p) || errno != 0 ||
	    ep != end) {
		sink_err(m, "line %" PRIu64 ": bad row count", it->line);
		return;
	}
	snprintf(key, sizeof(key), "%s.%s", db, tbl);
	if ((ts = tables_get(&m->recorded, key, 1)) == NULL) {
		m->oom = 1;
		return;
	}
	ts->rows += n;
	/* a table with no rows has no INSERT: make it known all the same */
	if (tables_get(&m->counted, key, 1) == NULL)
		m->oom = 1;
}

static int
sink_item(void *arg, const struct sqlscan_item *it)
{
	struct dump_sink	*m = arg;
	char			 db[96], tbl[96], key[192];
	uint64_t		 rows;
	struct table_stat	*ts;
	int			 r;

	if (it->kind == SQLSCAN_COMMAND) {
		/* nothing cairn writes reads as one: a hostile name that
		 * escaped its quotes, or a dump made by someone else */
		sink_err(m, "line %" PRIu64 ": the stock client would run the "
		    "client command \"%s\" here", it->line, it->text);
		return m->restore != NULL ? -1 : 0;
	}
	if (it->kind == SQLSCAN_COMMENT)
		sink_comment(m, it);
	else if (it->kind == SQLSCAN_STMT) {
		if (sqlscan_use(it->text, it->len, db, sizeof(db)) == 1)
			snprintf(m->db, sizeof(m->db), "%s", db);
		if (it->cut) {
			/* a long statement, only its head kept: an INSERT's
			 * rows are its groups after the column list */
			int	 has_cols;

			r = sqlscan_insert_head(it->text, it->len, db,
			    sizeof(db), tbl, sizeof(tbl), &has_cols);
			rows = it->groups - (uint64_t)(has_cols != 0);
		} else
			r = sqlscan_insert(it->text, it->len, db, sizeof(db),
			    tbl, sizeof(tbl), &rows);
		if (r == -1)
			sink_err(m, "line %" PRIu64 ": malformed INSERT",
			    it->line);
		else if (r == 1) {
			snprintf(key, sizeof(key), "%s.%s",
			    db[0] != '\0' ? db : m->db, tbl);
			if ((ts = tables_get(&m->counted, key, 1)) == NULL) {
				m->oom = 1;
				return -1;
			}
			ts->rows += rows;
		}
	}
	if (m->oom)
		return -1;
	if (m->restore != NULL)
		return restore_stmt(m->restore, it, m);
	return 0;
}

static int
sink_feed(void *arg, const char *p, size_t n)
{
	struct dump_sink	*m = arg;

	if (m->head_len < HEAD_LEN) {
		size_t	 k = HEAD_LEN - m->head_len < n ? HEAD_LEN - m->head_len
		    : n;

		memcpy(m->head + m->head_len, p, k);
		m->head_len += k;
		m->head[m->head_len] = '\0';
	}
	if (n >= TAIL_LEN) {
		memcpy(m->tail, p + n - TAIL_LEN, TAIL_LEN);
		m->tail_len = TAIL_LEN;
	} else {
		size_t	 keep = m->tail_len + n > TAIL_LEN ? TAIL_LEN - n :
		    m->tail_len;

		memmove(m->tail, m->tail + m->tail_len - keep, keep);
		memcpy(m->tail + keep, p, n);
		m->tail_len = keep + n;
	}
	m->total += n;
	return sqlscan_feed(m->scan, p, n);
}

/* Is the tail "\n-- cairn dump completed YYYY-MM-DDTHH:MM:SSZ\n"? */
static int
marker_ok(const struct dump_sink *m)
{
	static const char	 pat[] = "\n" MARKER "####-##-##T##:##:##Z\n";
	size_t			 pl = sizeof(pat) - 1;
	const char		*t;

	if (m->tail_len < pl)
		return 0;
	t = m->tail + m->tail_len - pl;
	for (size_t i = 0; i < pl; i++) {
		if (pat[i] == '#' ? !isdigit((unsigned char)t[i]) :
		    t[i] != pat[i])
			return 0;
	}
	return 1;
}

static void
sink_results(struct dump_sink *m, const struct verify_expect *e,
    struct verify_result *res, int scan_ok)
{
	if (strncmp(m->head, FORMAT_LINE "\n", strlen(FORMAT_LINE) + 1) != 0)
		fail(res, VERIFY_FORMAT, "format: line 1 is not \"%s\"",
		    FORMAT_LINE);
	else if (!marker_ok(m))
		fail(res, VERIFY_FORMAT, "format: the completion marker is not "
		    "the last line: the dump is incomplete");
	else
		passed(res, VERIFY_FORMAT);

	if (!scan_ok) {
		fail(res, VERIFY_ROWS, "sql: %s", sqlscan_error(m->scan));
		return;
	}
	if (m->err[0] != '\0') {
		fail(res, VERIFY_ROWS, "sql: %s", m->err);
		return;
	}
	for (size_t i = 0; i < m->counted.n; i++) {
		const struct table_stat	*c = &m->counted.v[i];
		const struct table_stat	*r = tables_get(&m->recorded, c->name,
		    0);

		if (r == NULL)
			fail(res, VERIFY_ROWS, "table %s: %" PRIu64 " rows in "
			    "dump, no rows line", c->name, c->rows);
		else if (r->rows != c->rows)
			fail(res, VERIFY_ROWS, "table %s: %" PRIu64 " rows in "
			    "dump, %" PRIu64 " recorded", c->name, c->rows,
			    r->rows);
	}
	if (e->tables != NULL) {
		for (size_t i = 0; i < e->ntables; i++) {
			const struct table_stat	*x = &e->tables[i];
			const struct table_stat	*c = tables_get(&m->counted,
			    x->name, 0);

			if (c == NULL)
				fail(res, VERIFY_ROWS, "table %s: not in dump, "
				    "%" PRIu64 " rows in catalog", x->name,
				    x->rows);
			else if (c->rows != x->rows)
				fail(res, VERIFY_ROWS, "table %s: %" PRIu64
				    " rows in dump, %" PRIu64 " in catalog",
				    x->name, c->rows, x->rows);
		}
		for (size_t i = 0; i < m->counted.n; i++)
			if (expect_find(e, m->counted.v[i].name) == NULL)
				fail(res, VERIFY_ROWS, "table %s: in dump, not "
				    "in catalog", m->counted.v[i].name);
	}
	passed(res, VERIFY_ROWS);
}

/* ---- one pass over the file ---- */

typedef int	(*sink_fn)(void *, const char *, size_t);

struct pass {
	int			 fd;
	enum compress_kind	 ck;
	sink_fn			 sink;
	void			*sink_arg;
	const struct verify_opts *opts;
	const char		*name;
	int			 encrypted;	/* ".age" */
	const struct age_identity *age_ids;	/* none: header only */
	size_t			 nage_ids;
	/* decompression state */
	unsigned char		*out;
	z_stream		 z;
	ZSTD_DCtx		*zd;
	size_t			 zret;
	int			 member_open;
	uint64_t		 members;
	uint64_t		 plain;		/* compressed bytes seen */
	/* out */
	char			 age_err[192];
	char			 age_info[64];
	uint64_t		 stored, raw;
	unsigned char		 sha[32];
	char			 stream_err[192];
	int			 sink_failed;
	int			 io_errno;
	int			 cancelled;
};

/* Set up the age side of a pass over NAME. */
static void
pass_age_setup(struct pass *p, const char *name, const struct verify_opts *o)
{
	p->encrypted = age_is_encrypted_name(name);
	if (p->encrypted && o != NULL && o->nage_ids > 0) {
		p->age_ids = o->age_ids;
		p->nage_ids = o->nage_ids;
	}
}

static void
pass_progress(struct pass *p, uint64_t *next)
{
	struct job_progress	 jp;

	if (p->opts == NULL || p->opts->progress == NULL || p->stored < *next)
		return;
	*next = p->stored + (4u << 20);
	memset(&jp, 0, sizeof(jp));
	jp.bytes_in = p->stored;
	jp.bytes_out = p->raw;
	snprintf(jp.current, sizeof(jp.current), "%s", p->name);
	p->opts->progress(p->opts->progress_arg, &jp);
}

static int
pass_out(struct pass *p, const unsigned char *b, size_t n)
{
	p->raw += n;
	if (p->sink == NULL || p->sink_failed || n == 0)
		return 0;
	if (p->sink(p->sink_arg, (const char *)b, n) == -1)
		p->sink_failed = 1;
	return 0;
}

static void
stream_err(struct pass *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
stream_err(struct pass *p, const char *fmt, ...)
{
	va_list	 ap;

	if (p->stream_err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(p->stream_err, sizeof(p->stream_err), fmt, ap);
	va_end(ap);
}

/* Decompress n bytes that start at stream offset base into the sink. */
static void
pass_feed(struct pass *p, const unsigned char *in, size_t n, uint64_t base)
{
	if (p->stream_err[0] != '\0' || n == 0)
		return;		/* keep hashing the rest */
	if (p->ck == COMPRESS_NONE) {
		pass_out(p, in, n);
		return;
	}
	if (p->ck == COMPRESS_ZSTD) {
		ZSTD_inBuffer	 ib = { in, n, 0 };

		while (ib.pos < ib.size) {
			ZSTD_outBuffer	 ob = { p->out, OUT_CHUNK, 0 };

			p->zret = ZSTD_decompressStream(p->zd, &ob, &ib);
			if (ZSTD_isError(p->zret)) {
				stream_err(p, "zstd: %s at byte %" PRIu64,
				    ZSTD_getErrorName(p->zret), base + ib.pos);
				return;
			}
			pass_out(p, p->out, ob.pos);
		}
		return;
	}
	/* gzip: one member after another */
	p->z.next_in = (unsigned char *)in;
	p->z.avail_in = (uInt)n;
	while (p->z.avail_in > 0) {
		int	 zr;

		if (!p->member_open) {
			if (p->members > 0 && p->z.next_in[0] != 0x1f) {
				stream_err(p, "gzip: trailing garbage after "
				    "member %" PRIu64 " at byte %" PRIu64,
				    p->members, base +
				    (uint64_t)(p->z.next_in - in));
				return;
			}
			p->member_open = 1;
		}
		p->z.next_out = p->out;
		p->z.avail_out = OUT_CHUNK;
		zr = inflate(&p->z, Z_NO_FLUSH);
		pass_out(p, p->out, OUT_CHUNK - p->z.avail_out);
		if (zr == Z_STREAM_END) {
			p->members++;
			p->member_open = 0;
			if (inflateReset(&p->z) != Z_OK) {
				stream_err(p, "gzip: inflateReset");
				return;
			}
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			stream_err(p, "gzip: %s at byte %" PRIu64,
			    p->z.msg != NULL ? p->z.msg : zError(zr),
			    base + (uint64_t)(p->z.next_in - in));
			return;
		}
	}
}

/* Plaintext out of the age decryptor: the compressed stream. */
static int
pass_age_out(void *arg, const void *buf, size_t n)
{
	struct pass	*p = arg;

	pass_feed(p, buf, n, p->plain);
	p->plain += n;
	return 0;
}

/* The end of the compressed stream: was it complete? */
static void
pass_stream_end(struct pass *p)
{
	if (p->stream_err[0] != '\0')
		return;
	if (p->plain == 0 && p->ck != COMPRESS_NONE)
		stream_err(p, "%s: empty file",
		    p->ck == COMPRESS_GZIP ? "gzip" : "zstd");
	else if (p->ck == COMPRESS_GZIP && p->member_open)
		stream_err(p, "gzip: unexpected end of file at byte %" PRIu64
		    " (truncated)", p->plain);
	else if (p->ck == COMPRESS_ZSTD && p->zret != 0)
		stream_err(p, "zstd: unexpected end of file at byte %" PRIu64
		    " (truncated)", p->plain);
}

/*
 * Read the whole file.  Returns 0 when the file was read to its end
 * (stream problems are in p->stream_err, age problems in p->age_err),
 * -1 on a read error (io_errno) or cancel.  An ".age" file goes through
 * the age decryptor first: with p->age_ids, decrypted; without, its
 * header and layout checked and nothing decompressed.
 */
static int
pass_run(struct pass *p)
{
	unsigned char	*in = NULL;
	EVP_MD_CTX	*md = NULL;
	struct age_dec	*age = NULL;
	int		 zinit = 0, rc = -1;
	uint64_t	 next_progress = 0;
	ssize_t		 r;

	memset(&p->z, 0, sizeof(p->z));
	in = malloc(IN_CHUNK);
	p->out = malloc(OUT_CHUNK);
	md = EVP_MD_CTX_new();
	if (in == NULL || p->out == NULL || md == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		p->io_errno = ENOMEM;
		goto done;
	}
	if (p->ck == COMPRESS_GZIP) {
		if (inflateInit2(&p->z, 15 + 16) != Z_OK) {
			p->io_errno = ENOMEM;
			goto done;
		}
		zinit = 1;
	} else if (p->ck == COMPRESS_ZSTD) {
		if ((p->zd = ZSTD_createDCtx()) == NULL) {
			p->io_errno = ENOMEM;
			goto done;
		}
	}
	if (p->encrypted && (age = age_dec_new(p->age_ids, p->nage_ids,
	    pass_age_out, p)) == NULL) {
		p->io_errno = errno;
		goto done;
	}
	if (lseek(p->fd, 0, SEEK_SET) == -1) {
		p->io_errno = errno;
		goto done;
	}

	for (;;) {
		uint64_t	 base = p->stored;

		if (p->opts != NULL && cancelled(p->opts)) {
			p->cancelled = 1;
			goto done;
		}
		r = read(p->fd, in, IN_CHUNK);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			p->io_errno = errno;
			goto done;
		}
		if (r == 0)
			break;
		EVP_DigestUpdate(md, in, (size_t)r);
		p->stored += (uint64_t)r;
		pass_progress(p, &next_progress);
		if (age == NULL) {
			p->plain += (uint64_t)r;
			pass_feed(p, in, (size_t)r, base);
		} else if (p->age_err[0] == '\0' &&
		    age_dec_write(age, in, (size_t)r) == -1)
			snprintf(p->age_err, sizeof(p->age_err), "age: %s",
			    age_dec_error(age));
	}
	if (age != NULL && p->age_err[0] == '\0' &&
	    age_dec_finish(age) == -1)
		snprintf(p->age_err, sizeof(p->age_err), "age: %s",
		    age_dec_error(age));
	if (age != NULL) {
		size_t	 nx, ns = age_dec_stanzas(age, &nx);

		snprintf(p->age_info, sizeof(p->age_info), "%zu stanza%s "
		    "(%zu X25519)", ns, ns == 1 ? "" : "s", nx);
	}
	if (age == NULL || (p->nage_ids > 0 && p->age_err[0] == '\0'))
		pass_stream_end(p);
	EVP_DigestFinal_ex(md, p->sha, NULL);
	rc = 0;
done:
	age_dec_free(age);
	if (zinit)
		inflateEnd(&p->z);
	ZSTD_freeDCtx(p->zd);
	p->zd = NULL;
	EVP_MD_CTX_free(md);
	free(in);
	free(p->out);
	p->out = NULL;
	return rc;
}

/* ---- SQLite ---- */

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

static int
fd_sink(void *arg, const char *p, size_t n)
{
	int	*fdp = arg;

	return util_write_all(*fdp, p, n) == (ssize_t)n ? 0 : -1;
}

/* "file:/path?immutable=1", with URI metacharacters escaped */
static char *
sqlite_uri(const char *dir, int dirfd, const char *name)
{
	char	*path, *uri, *o;

	if (dir != NULL)
		path = xasprintf("%s/%s", dir, name);
	else
		path = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
	uri = xmalloc(strlen(path) * 3 + 32);
	o = uri + sprintf(uri, "file:");
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			o += sprintf(o, "%%%02X", (unsigned char)*p);
		else
			*o++ = *p;
	}
	strcpy(o, "?immutable=1");
	free(path);
	return uri;
}

static void
sqlite_check(const char *uri, const struct verify_expect *e,
    struct verify_result *res, struct tables *found)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	int		 rc, nrows = 0;
	char		 first[160] = "";

	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		fail(res, VERIFY_INTEGRITY, "sqlite: cannot open the copy: %s",
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &st,
	    NULL) != SQLITE_OK) {
		fail(res, VERIFY_INTEGRITY, "sqlite: integrity_check: %s",
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
		fail(res, VERIFY_INTEGRITY, "sqlite: integrity_check: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	if (nrows != 1 || strcmp(first, "ok") != 0) {
		char	*f = first;

		/* "*** in database main ***\nOn tree page 5 cell 0: ..." */
		if (strncmp(f, "*** ", 4) == 0 && strchr(f, '\n') != NULL)
			f = strchr(f, '\n') + 1;
		f[strcspn(f, "\n")] = '\0';
		fail(res, VERIFY_INTEGRITY, "sqlite: integrity_check: %s", f);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	/* the schema opens: list the tables and count their rows */
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	    "ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		fail(res, VERIFY_INTEGRITY, "sqlite: schema: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*t = (const char *)sqlite3_column_text(st, 0);

		if (t == NULL || tables_get(found, t, 1) == NULL) {
			fail(res, VERIFY_INTEGRITY, "sqlite: schema: out of "
			    "memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		fail(res, VERIFY_INTEGRITY, "sqlite: schema: %s",
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
			fail(res, VERIFY_INTEGRITY, "sqlite: table %s: %s",
			    found->v[i].name, sqlite3_errmsg(db));
			goto out;
		}
		found->v[i].rows = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	passed(res, VERIFY_INTEGRITY);
	if (e->tables == NULL)
		goto out;
	if (found->n != e->ntables)
		fail(res, VERIFY_ROWS, "sqlite: %zu tables in the copy, %zu in "
		    "catalog", found->n, e->ntables);
	for (size_t i = 0; i < e->ntables; i++) {
		const struct table_stat	*c = tables_get(found,
		    e->tables[i].name, 0);

		if (c == NULL)
			fail(res, VERIFY_ROWS, "table %s: not in the copy, %"
			    PRIu64 " rows in catalog", e->tables[i].name,
			    e->tables[i].rows);
		else if (c->rows != e->tables[i].rows)
			fail(res, VERIFY_ROWS, "table %s: %" PRIu64 " rows in "
			    "the copy, %" PRIu64 " in catalog", c->name,
			    c->rows, e->tables[i].rows);
	}
	for (size_t i = 0; i < found->n; i++)
		if (expect_find(e, found->v[i].name) == NULL)
			fail(res, VERIFY_ROWS, "table %s: in the copy, not in "
			    "catalog", found->v[i].name);
	passed(res, VERIFY_ROWS);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- the catalog's numbers ---- */

static void
check_sums(const struct pass *p, const struct verify_expect *e,
    struct verify_result *res)
{
	res->stored_bytes = p->stored;
	res->raw_bytes = p->raw;
	util_hex(res->sha256_hex, p->sha, sizeof(p->sha));
	if (e->sha256_hex != NULL) {
		if (strcasecmp(e->sha256_hex, res->sha256_hex) != 0)
			fail(res, VERIFY_SHA256, "sha256 mismatch: catalog "
			    "%.12s... file %.12s...", e->sha256_hex,
			    res->sha256_hex);
		else
			passed(res, VERIFY_SHA256);
	}
	if (e->stored_bytes >= 0 && (uint64_t)e->stored_bytes != p->stored)
		fail(res, VERIFY_SIZE, "size mismatch: catalog %" PRId64
		    " bytes stored, file %" PRIu64, e->stored_bytes, p->stored);
	else if (e->raw_bytes >= 0 && p->stream_err[0] == '\0' &&
	    (!p->encrypted || p->nage_ids > 0) && p->age_err[0] == '\0' &&
	    (uint64_t)e->raw_bytes != p->raw)
		fail(res, VERIFY_SIZE, "size mismatch: catalog %" PRId64
		    " bytes raw, file decompresses to %" PRIu64, e->raw_bytes,
		    p->raw);
	else if (e->stored_bytes >= 0 || e->raw_bytes >= 0)
		passed(res, VERIFY_SIZE);
}

static int
open_artifact(int dirfd, const char *name, struct verify_result *res)
{
	int	 fd;

	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL) {
		snprintf(res->message, sizeof(res->message),
		    "verify: bad artifact name");
		errno = EINVAL;
		return -1;
	}
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		snprintf(res->message, sizeof(res->message), "verify: %s: %s",
		    name, strerror(errno));
	return fd;
}

static void
tables_to_result(struct tables *t, struct verify_result *res)
{
	free(res->tables);
	res->tables = t->v;
	res->ntables = t->n;
	t->v = NULL;
	t->n = t->cap = 0;
}

int
verify_artifact(int dirfd, const char *name, const struct verify_expect *e,
    const struct verify_opts *opts, struct verify_result *res)
{
	struct verify_expect	 none;
	struct pass		 p;
	struct dump_sink	 m;
	struct tables		 found = { NULL, 0, 0, 0 };
	enum verify_kind	 kind;
	char			 tmp[64] = "";
	int			 fd, tmpfd = -1, code = CAIRN_E_OK, scan_ok = 1;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	if (e == NULL) {
		verify_expect_init(&none);
		e = &none;
	}
	if ((fd = open_artifact(dirfd, name, res)) == -1)
		return CAIRN_E_NOINPUT;
	kind = e->kind != VERIFY_KIND_AUTO ? e->kind : name_kind(name);

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.ck = name_compression(name);
	p.opts = opts;
	p.name = name;
	pass_age_setup(&p, name, opts);
	if (kind == VERIFY_KIND_MYSQL) {
		/* a statement may be as long as max_allowed_packet allows
		 * (1 GiB); only its head is held */
		m.scan = sqlscan_new(opts != NULL && opts->max_stmt != 0 ?
		    opts->max_stmt : SQLSCAN_MAX_PACKET, sink_item, &m);
		if (m.scan != NULL)
			sqlscan_keep(m.scan, VERIFY_STMT_KEEP);
		if (m.scan == NULL) {
			code = CAIRN_E_OSERR;
			snprintf(res->message, sizeof(res->message),
			    "verify: %s", strerror(errno));
			goto out;
		}
		p.sink = sink_feed;
		p.sink_arg = &m;
	} else if (kind == VERIFY_KIND_SQLITE) {
		if ((tmpfd = tmp_create(dirfd, tmp, sizeof(tmp))) == -1) {
			code = CAIRN_E_CANTCREAT;
			snprintf(res->message, sizeof(res->message),
			    "verify: temporary copy in the job folder: %s",
			    strerror(errno));
			goto out;
		}
		p.sink = fd_sink;
		p.sink_arg = &tmpfd;
	}
	if (pass_run(&p) == -1) {
		code = p.cancelled ? CAIRN_E_TEMPFAIL : CAIRN_E_IOERR;
		snprintf(res->message, sizeof(res->message), "verify: %s: %s",
		    name, p.cancelled ? "cancelled" : strerror(p.io_errno));
		goto out;
	}
	if (p.encrypted) {
		res->age_level = p.nage_ids > 0 ? VERIFY_AGE_DECRYPTED :
		    VERIFY_AGE_HEADER;
		snprintf(res->age_info, sizeof(res->age_info), "%s",
		    p.age_info);
		if (p.age_err[0] != '\0')
			fail(res, VERIFY_AGE, "%s", p.age_err);
		else
			passed(res, VERIFY_AGE);
	}
	if (p.stream_err[0] != '\0')
		fail(res, VERIFY_STREAM, "%s", p.stream_err);
	else if (res->age_level != VERIFY_AGE_HEADER &&
	    !(res->failed & (1u << VERIFY_AGE)))
		passed(res, VERIFY_STREAM);
	check_sums(&p, e, res);
	if (res->age_level == VERIFY_AGE_HEADER ||
	    (res->failed & (1u << VERIFY_AGE)))
		goto out;	/* no plaintext: nothing more to check */

	if (p.sink_failed && kind == VERIFY_KIND_SQLITE) {
		code = CAIRN_E_IOERR;
		snprintf(res->message, sizeof(res->message), "verify: writing "
		    "the temporary copy: %s", strerror(errno));
		goto out;
	}
	if (res->failed & (1u << VERIFY_STREAM))
		goto out;	/* the content of a broken stream proves nothing */

	if (kind == VERIFY_KIND_MYSQL) {
		if (!p.sink_failed && sqlscan_end(m.scan) == -1)
			scan_ok = 0;
		if (p.sink_failed && !m.oom)
			scan_ok = 0;
		if (m.oom) {
			code = CAIRN_E_OSERR;
			snprintf(res->message, sizeof(res->message),
			    "verify: out of memory");
			goto out;
		}
		sink_results(&m, e, res, scan_ok);
		tables_to_result(&m.counted, res);
	} else if (kind == VERIFY_KIND_SQLITE) {
		char	*uri = sqlite_uri(opts != NULL ? opts->dir : NULL,
		    dirfd, tmp);

		sqlite_check(uri, e, res, &found);
		free(uri);
		tables_to_result(&found, res);
	}
	if (res->failed == 0 && opts != NULL && opts->restore_test &&
	    kind == VERIFY_KIND_MYSQL) {
		struct verify_result	 rr;

		code = verify_restore_mysql(dirfd, name, e, opts, &rr);
		res->ran |= rr.ran;
		res->failed |= rr.failed;
		memcpy(res->detail[VERIFY_RESTORE], rr.detail[VERIFY_RESTORE],
		    sizeof(res->detail[VERIFY_RESTORE]));
		if (code != CAIRN_E_OK && code != CAIRN_E_VERIFY)
			snprintf(res->message, sizeof(res->message), "%s",
			    rr.message);
		verify_result_free(&rr);
		if (code != CAIRN_E_OK && code != CAIRN_E_VERIFY)
			goto out;
		code = CAIRN_E_OK;
	}
out:
	if (tmpfd != -1) {
		close(tmpfd);
		unlinkat(dirfd, tmp, 0);
	}
	sqlscan_free(m.scan);
	free(m.counted.v);
	free(m.recorded.v);
	free(found.v);
	close(fd);
	if (code != CAIRN_E_OK)
		return code;
	summarise(res);
	return res->failed ? CAIRN_E_VERIFY : CAIRN_E_OK;
}

/* ---- restore test (MySQL) ---- */

#define RESTORE_MAX_DBS	64

struct restore {
	MYSQL		*my;
	const char	*scratch;
	char		 src[RESTORE_MAX_DBS][96];	/* dump's databases */
	char		 dst[RESTORE_MAX_DBS][112];	/* their scratch names */
	size_t		 ndb;
	char		*sql;		/* rewrite buffer */
	size_t		 sqlcap;
	char		 err[192];
	const struct verify_opts *opts;
};

static int
restore_query(struct restore *r, const char *q, size_t len, uint64_t line)
{
	if (mysql_real_query(r->my, q, len) != 0) {
		if (line > 0)
			snprintf(r->err, sizeof(r->err), "restore: line %"
			    PRIu64 ": %s (%u)", line, mysql_error(r->my),
			    mysql_errno(r->my));
		else
			snprintf(r->err, sizeof(r->err), "restore: %.60s: %s "
			    "(%u)", q, mysql_error(r->my), mysql_errno(r->my));
		return -1;
	}
	/* drain any result (SELECTs in a dump are unusual but legal) */
	do {
		MYSQL_RES	*rs = mysql_store_result(r->my);

		mysql_free_result(rs);
	} while (mysql_next_result(r->my) == 0);
	return 0;
}

static int
restore_queryf(struct restore *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
restore_queryf(struct restore *r, const char *fmt, ...)
{
	char	 q[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(q)) {
		snprintf(r->err, sizeof(r->err), "restore: name too long");
		return -1;
	}
	return restore_query(r, q, (size_t)n, 0);
}

/* Backquote an identifier into out (doubling backquotes). */
static void
bq(char *out, size_t len, const char *id)
{
	size_t	 o = 0;

	if (len < 3)
		return;
	out[o++] = '`';
	for (; *id != '\0' && o + 3 < len; id++) {
		if (*id == '`')
			out[o++] = '`';
		out[o++] = *id;
	}
	out[o++] = '`';
	out[o] = '\0';
}

static const char *
restore_map(struct restore *r, const char *src, int create)
{
	char	 q[256];

	for (size_t i = 0; i < r->ndb; i++)
		if (strcmp(r->src[i], src) == 0)
			return r->dst[i];
	if (!create)
		return NULL;
	if (r->ndb == RESTORE_MAX_DBS) {
		snprintf(r->err, sizeof(r->err), "restore: more than %d "
		    "databases in the dump", RESTORE_MAX_DBS);
		return NULL;
	}
	snprintf(r->src[r->ndb], sizeof(r->src[r->ndb]), "%s", src);
	if (r->ndb == 0)
		snprintf(r->dst[0], sizeof(r->dst[0]), "%s", r->scratch);
	else
		snprintf(r->dst[r->ndb], sizeof(r->dst[r->ndb]), "%s_%zu",
		    r->scratch, r->ndb + 1);
	/* never let a scratch name be one of the dump's own databases */
	for (size_t i = 0; i <= r->ndb; i++)
		for (size_t j = 0; j <= r->ndb; j++)
			if (strcmp(r->src[i], r->dst[j]) == 0) {
				snprintf(r->err, sizeof(r->err), "restore: "
				    "scratch database %s is also in the dump",
				    r->dst[j]);
				return NULL;
			}
	r->ndb++;
	bq(q, sizeof(q), r->dst[r->ndb - 1]);
	if (restore_queryf(r, "DROP DATABASE IF EXISTS %s", q) == -1 ||
	    restore_queryf(r, "CREATE DATABASE %s CHARACTER SET utf8mb4",
	    q) == -1)
		return NULL;
	return r->dst[r->ndb - 1];
}

/*
 * Copy stmt into r->sql, replacing every backquoted identifier that names
 * a mapped source database and is followed by '.' with its scratch name.
 * Strings and comments are copied as they are.
 */
static int
restore_rewrite(struct restore *r, const char *s, size_t len, size_t *outlen)
{
	size_t	 o = 0, need = len * 2 + 256;
	char	 id[96];

	if (need > r->sqlcap) {
		char	*n = realloc(r->sql, need);

		if (n == NULL) {
			snprintf(r->err, sizeof(r->err), "restore: out of "
			    "memory");
			return -1;
		}
		r->sql = n;
		r->sqlcap = need;
	}
	for (size_t i = 0; i < len; ) {
		char	 c = s[i];

		if (c == '\'' || c == '"') {
			size_t	 j = i + 1;

			while (j < len) {
				if (s[j] == '\\') {
					j += 2;
					continue;
				}
				if (s[j] == c) {
					if (j + 1 < len && s[j + 1] == c) {
						j += 2;
						continue;
					}
					break;
				}
				j++;
			}
			j = j < len ? j + 1 : len;
			memcpy(r->sql + o, s + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		if (c == '`') {
			const char	*p = s + i, *dst;
			size_t		 j;

			if (sqlscan_ident(&p, s + len, id, sizeof(id)) == 0) {
				j = (size_t)(p - s);
				if (j < len && s[j] == '.' &&
				    (dst = restore_map(r, id, 0)) != NULL &&
				    o + strlen(dst) * 2 + 2 < r->sqlcap) {
					bq(r->sql + o, r->sqlcap - o, dst);
					o += strlen(r->sql + o);
				} else {
					memcpy(r->sql + o, s + i, j - i);
					o += j - i;
				}
				i = j;
				continue;
			}
		}
		if (o + 1 >= r->sqlcap)
			break;
		r->sql[o++] = c;
		i++;
	}
	r->sql[o] = '\0';
	*outlen = o;
	return 0;
}

static int
restore_stmt(struct restore *r, const struct sqlscan_item *it,
    struct dump_sink *m)
{
	char		 db[96], q[256];
	const char	*dst;
	size_t		 len;

	(void)m;
	if (it->kind != SQLSCAN_STMT)
		return 0;
	if (r->opts != NULL && cancelled(r->opts)) {
		snprintf(r->err, sizeof(r->err), "cancelled");
		return -1;
	}
	if (sqlscan_create_db(it->text, it->len, db, sizeof(db)) == 1)
		return restore_map(r, db, 1) != NULL ? 0 : -1;
	if (sqlscan_use(it->text, it->len, db, sizeof(db)) == 1) {
		if ((dst = restore_map(r, db, 1)) == NULL)
			return -1;
		bq(q, sizeof(q), dst);
		return restore_queryf(r, "USE %s", q);
	}
	if (sqlscan_account(it->text, it->len))
		return 0;	/* accounts: not on the test server */
	if (restore_rewrite(r, it->text, it->len, &len) == -1)
		return -1;
	return restore_query(r, r->sql, len, it->line);
}

static int
name_ok(const char *s)
{
	size_t	 n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_')
			return 0;
	return n > 0 && n <= 48 && !myconn_is_system_db(s, 1);
}

static MYSQL *
restore_connect(const struct verify_opts *o, char *err, size_t errlen)
{
	const struct db_conn	*c = o->target;
	MYSQL			*my;
	unsigned int		 t;
	my_bool			 yes = 1, no = 0;

	if ((my = mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "restore: out of memory");
		return NULL;
	}
	t = c->connect_timeout > 0 ? (unsigned)c->connect_timeout : 10;
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	t = c->read_timeout > 0 ? (unsigned)c->read_timeout : 300;
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &no);
	if (c->ssl_ca != NULL || c->ssl_cert != NULL || c->ssl_key != NULL)
		mysql_ssl_set(my, c->ssl_key, c->ssl_cert, c->ssl_ca, NULL,
		    NULL);
	if (c->ssl_mode >= SSL_MODE_REQUIRED)
		mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &yes);
	if (c->ssl_mode >= SSL_MODE_VERIFY_CA)
		mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
	if (mysql_real_connect(my, c->socket != NULL ? NULL : c->host,
	    c->user, o->target_password, NULL,
	    c->port > 0 ? (unsigned)c->port : 0, c->socket,
	    CLIENT_MULTI_RESULTS) == NULL) {
		snprintf(err, errlen, "restore: cannot connect to the target "
		    "%s: %s", c->socket != NULL ? c->socket :
		    c->host != NULL ? c->host : "localhost", mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	return my;
}

static int
restore_query_noresult(struct restore *r, const char *q)
{
	if (mysql_real_query(r->my, q, strlen(q)) != 0) {
		snprintf(r->err, sizeof(r->err), "restore: %.60s: %s (%u)", q,
		    mysql_error(r->my), mysql_errno(r->my));
		return -1;
	}
	return 0;
}

static int
restore_u64(struct restore *r, const char *q, int col, uint64_t *v)
{
	MYSQL_RES	*rs;
	MYSQL_ROW	 row;
	int		 rc = -1;

	if (restore_query_noresult(r, q) == -1)
		return -1;
	if ((rs = mysql_store_result(r->my)) == NULL) {
		snprintf(r->err, sizeof(r->err), "restore: %.60s: no result",
		    q);
		return -1;
	}
	if ((row = mysql_fetch_row(rs)) != NULL &&
	    (unsigned)col < mysql_num_fields(rs)) {
		*v = row[col] != NULL ? strtoull(row[col], NULL, 10) : 0;
		rc = row[col] != NULL ? 0 : 1;	/* 1: NULL (no checksum) */
	} else
		snprintf(r->err, sizeof(r->err), "restore: %.60s: no row", q);
	mysql_free_result(rs);
	return rc;
}

/* Compare the restored tables with the dump's counts and the catalog. */
static void
restore_compare(struct restore *r, const struct tables *counted,
    const struct verify_expect *e, struct verify_result *res)
{
	char	 db[96], q[512], qd[200], qt[200];
	uint64_t v;

	for (size_t i = 0; i < counted->n; i++) {
		const struct table_stat	*c = &counted->v[i];
		const struct table_stat	*x = expect_find(e, c->name);
		const char		*dot = strchr(c->name, '.');
		const char		*dst;

		if (dot == NULL || (size_t)(dot - c->name) >= sizeof(db))
			continue;
		memcpy(db, c->name, (size_t)(dot - c->name));
		db[dot - c->name] = '\0';
		if ((dst = restore_map(r, db, 0)) == NULL) {
			fail(res, VERIFY_RESTORE, "restore: table %s: its "
			    "database was never created", c->name);
			continue;
		}
		bq(qd, sizeof(qd), dst);
		bq(qt, sizeof(qt), dot + 1);
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM %s.%s", qd, qt);
		if (restore_u64(r, q, 0, &v) != 0) {
			fail(res, VERIFY_RESTORE, "%s", r->err);
			continue;
		}
		if (v != c->rows)
			fail(res, VERIFY_RESTORE, "restore: table %s: %"
			    PRIu64 " rows restored, %" PRIu64 " in dump",
			    c->name, v, c->rows);
		else if (x != NULL && v != x->rows)
			fail(res, VERIFY_RESTORE, "restore: table %s: %"
			    PRIu64 " rows restored, %" PRIu64 " in catalog",
			    c->name, v, x->rows);
		if (x == NULL || !x->has_checksum)
			continue;
		snprintf(q, sizeof(q), "CHECKSUM TABLE %s.%s", qd, qt);
		if (restore_u64(r, q, 1, &v) != 0) {
			fail(res, VERIFY_RESTORE, "restore: table %s: no "
			    "checksum", c->name);
			continue;
		}
		if (v != x->checksum)
			fail(res, VERIFY_RESTORE, "restore: table %s: checksum "
			    "%" PRIu64 " restored, %" PRIu64 " recorded",
			    c->name, v, x->checksum);
	}
	passed(res, VERIFY_RESTORE);
}

int
verify_restore_mysql(int dirfd, const char *name,
    const struct verify_expect *e, const struct verify_opts *opts,
    struct verify_result *res)
{
	struct verify_expect	 none;
	struct restore		 r;
	struct dump_sink	 m;
	struct pass		 p;
	char			 q[256];
	int			 fd, code = CAIRN_E_OK;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	if (e == NULL) {
		verify_expect_init(&none);
		e = &none;
	}
	if (opts == NULL || opts->target == NULL ||
	    !name_ok(opts->target_database)) {
		snprintf(res->message, sizeof(res->message), "restore: no "
		    "target, or a bad scratch database name (letters, digits, "
		    "_; not a system database)");
		return CAIRN_E_CONFIG;
	}
	if ((fd = open_artifact(dirfd, name, res)) == -1)
		return CAIRN_E_NOINPUT;
	if ((r.my = restore_connect(opts, res->message,
	    sizeof(res->message))) == NULL) {
		close(fd);
		return CAIRN_E_DB_CONNECT;
	}
	r.scratch = opts->target_database;
	r.opts = opts;
	m.restore = &r;
	if ((m.scan = sqlscan_new(opts->max_stmt != 0 ? opts->max_stmt :
	    SQLSCAN_MAX_PACKET, sink_item, &m)) == NULL) {
		code = CAIRN_E_OSERR;
		snprintf(res->message, sizeof(res->message), "restore: %s",
		    strerror(errno));
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.ck = name_compression(name);
	p.sink = sink_feed;
	p.sink_arg = &m;
	p.opts = opts;
	p.name = name;
	pass_age_setup(&p, name, opts);
	if (p.encrypted && p.nage_ids == 0) {
		code = CAIRN_E_CONFIG;
		snprintf(res->message, sizeof(res->message), "restore: %s is "
		    "encrypted and no age identity was given", name);
		goto out;
	}
	if (pass_run(&p) == -1) {
		code = p.cancelled ? CAIRN_E_TEMPFAIL : CAIRN_E_IOERR;
		snprintf(res->message, sizeof(res->message), "restore: %s: %s",
		    name, p.cancelled ? "cancelled" : strerror(p.io_errno));
		goto out;
	}
	if (p.age_err[0] != '\0')
		fail(res, VERIFY_RESTORE, "restore: %s", p.age_err);
	else if (p.stream_err[0] != '\0')
		fail(res, VERIFY_RESTORE, "restore: %s", p.stream_err);
	else if (p.sink_failed || sqlscan_end(m.scan) == -1) {
		if (strcmp(r.err, "cancelled") == 0) {
			code = CAIRN_E_TEMPFAIL;
			snprintf(res->message, sizeof(res->message),
			    "restore: cancelled");
			goto out;
		}
		fail(res, VERIFY_RESTORE, "%s", r.err[0] != '\0' ? r.err :
		    sqlscan_error(m.scan));
	} else
		restore_compare(&r, &m.counted, e, res);
	tables_to_result(&m.counted, res);
out:
	for (size_t i = 0; i < r.ndb; i++) {
		bq(q, sizeof(q), r.dst[i]);
		if (restore_queryf(&r, "DROP DATABASE IF EXISTS %s", q) == -1 &&
		    code == CAIRN_E_OK)
			fail(res, VERIFY_RESTORE, "%s", r.err);
	}
	mysql_close(r.my);
	free(r.sql);
	sqlscan_free(m.scan);
	free(m.counted.v);
	free(m.recorded.v);
	close(fd);
	if (code != CAIRN_E_OK)
		return code;
	summarise(res);
	return res->failed ? CAIRN_E_VERIFY : CAIRN_E_OK;
}
