/*
 * verify -- the verify worker's checks (see include/cairn/verify.h and
 * docs/verify-and-prune.md): results, names, the catalog's sums, and the
 * dispatch by kind.  The files of the engine are listed in verify_int.h.
 *
 * One pass reads the file once: every byte goes through SHA-256 and the
 * decompressor, and the decompressed bytes go to a sink (the SQL scanner
 * for a MySQL dump, a temporary file for SQLite).  The restore test is a
 * second pass whose sink also executes the statements.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairn/age.h"
#include "cairn/verify.h"
#include "verify_int.h"

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

void
verify_fail(struct verify_result *res, enum verify_check c, const char *fmt,
    ...)
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

void
verify_passed(struct verify_result *res, enum verify_check c)
{
	res->ran |= 1u << c;
}

/* The message is the first failure in check order. */
void
verify_summarise(struct verify_result *res)
{
	for (int c = 0; c < VERIFY_CHECK_MAX; c++)
		if (res->failed & (1u << c)) {
			snprintf(res->message, sizeof(res->message), "%s",
			    res->detail[c]);
			return;
		}
	res->message[0] = '\0';
}

int
verify_cancelled(const struct verify_opts *o)
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
enum compress_kind
verify_name_compression(const char *name)
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

struct table_stat *
verify_tables_get(struct tables *t, const char *name, int create)
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

const struct table_stat *
verify_expect_find(const struct verify_expect *e, const char *name)
{
	for (size_t i = 0; e->tables != NULL && i < e->ntables; i++)
		if (strcmp(e->tables[i].name, name) == 0)
			return &e->tables[i];
	return NULL;
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
			verify_fail(res, VERIFY_SHA256,
			    "sha256 mismatch: catalog "
			    "%.12s... file %.12s...", e->sha256_hex,
			    res->sha256_hex);
		else
			verify_passed(res, VERIFY_SHA256);
	}
	if (e->stored_bytes >= 0 && (uint64_t)e->stored_bytes != p->stored)
		verify_fail(res, VERIFY_SIZE, "size mismatch: catalog %" PRId64
		    " bytes stored, file %" PRIu64, e->stored_bytes, p->stored);
	else if (e->raw_bytes >= 0 && p->stream_err[0] == '\0' &&
	    (!p->encrypted || p->nage_ids > 0) && p->age_err[0] == '\0' &&
	    (uint64_t)e->raw_bytes != p->raw)
		verify_fail(res, VERIFY_SIZE, "size mismatch: catalog %" PRId64
		    " bytes raw, file decompresses to %" PRIu64, e->raw_bytes,
		    p->raw);
	else if (e->stored_bytes >= 0 || e->raw_bytes >= 0)
		verify_passed(res, VERIFY_SIZE);
}

int
verify_open_artifact(int dirfd, const char *name, struct verify_result *res)
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

void
verify_tables_to_result(struct tables *t, struct verify_result *res)
{
	free(res->tables);
	res->tables = t->v;
	res->ntables = t->n;
	t->v = NULL;
	t->n = t->cap = 0;
}


/*
 * Run the pass and record what it proves of every kind: the age layer,
 * the stream, the sums.  *content says whether plaintext came out of it
 * (not an ".age" file read without an identity, nor one that failed).
 */
int
verify_pass_checks(struct pass *p, const struct verify_expect *e,
    struct verify_result *res, int *content)
{
	*content = 0;
	if (verify_pass_run(p) == -1) {
		snprintf(res->message, sizeof(res->message), "verify: %s: %s",
		    p->name, p->cancelled ? "cancelled" :
		    strerror(p->io_errno));
		return p->cancelled ? CAIRN_E_TEMPFAIL : CAIRN_E_IOERR;
	}
	if (p->encrypted) {
		res->age_level = p->nage_ids > 0 ? VERIFY_AGE_DECRYPTED :
		    VERIFY_AGE_HEADER;
		snprintf(res->age_info, sizeof(res->age_info), "%s",
		    p->age_info);
		if (p->age_err[0] != '\0')
			verify_fail(res, VERIFY_AGE, "%s", p->age_err);
		else
			verify_passed(res, VERIFY_AGE);
	}
	if (p->stream_err[0] != '\0')
		verify_fail(res, VERIFY_STREAM, "%s", p->stream_err);
	else if (res->age_level != VERIFY_AGE_HEADER &&
	    !(res->failed & (1u << VERIFY_AGE)))
		verify_passed(res, VERIFY_STREAM);
	check_sums(p, e, res);
	*content = res->age_level != VERIFY_AGE_HEADER &&
	    !(res->failed & (1u << VERIFY_AGE));
	return CAIRN_E_OK;
}

int
verify_artifact(int dirfd, const char *name, const struct verify_expect *e,
    const struct verify_opts *opts, struct verify_result *res)
{
	struct verify_expect	 none;
	struct pass		 p;
	enum verify_kind	 kind;
	int			 fd, code, content;

	memset(res, 0, sizeof(*res));
	if (e == NULL) {
		verify_expect_init(&none);
		e = &none;
	}
	if ((fd = verify_open_artifact(dirfd, name, res)) == -1)
		return CAIRN_E_NOINPUT;
	kind = e->kind != VERIFY_KIND_AUTO ? e->kind : name_kind(name);

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.ck = verify_name_compression(name);
	p.opts = opts;
	p.name = name;
	verify_pass_setup(&p, name, opts);
	if (kind == VERIFY_KIND_MYSQL)
		code = verify_sql(&p, dirfd, e, opts, res);
	else if (kind == VERIFY_KIND_SQLITE)
		code = verify_sqlite(&p, dirfd, e, opts, res);
	else
		code = verify_pass_checks(&p, e, res, &content);
	close(fd);
	if (code != CAIRN_E_OK)
		return code;
	verify_summarise(res);
	return res->failed ? CAIRN_E_VERIFY : CAIRN_E_OK;
}
