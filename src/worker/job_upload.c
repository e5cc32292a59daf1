/*
 * job_upload.c -- the upload engine: one verified artifact of the job
 * folder to an S3 remote (docs/offsite.md).
 *
 * The worker is sandboxed read-only: it opens the file the supervisor
 * named, checks it is still the size the catalog recorded, streams it up
 * (s3_upload(): one PUT, or a multipart upload with bounded memory) and
 * proves the result with a HEAD: the object's size and its
 * x-amz-meta-sha256 must be the catalog's.  Nothing is written locally.
 * It also HEADs, deletes (remote retention) and lists (objects the
 * catalog does not know) what the supervisor asks for.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/errors.h"
#include "cairn/frame.h"
#include "engine.h"
#include "cairn/log.h"
#include "cairn/s3.h"
#include "cairn/util.h"

struct up_progress {
	const struct job_env	*env;
	const char		*name;
	struct job_progress	 last;
};

/* Still working (a retry's backoff, a slow part): the same progress. */
static void
up_alive(void *arg)
{
	struct up_progress	*u = arg;

	if (u->env->progress != NULL)
		u->env->progress(u->env->progress_arg, &u->last);
}

static void
up_progress(void *arg, uint64_t done, uint64_t total)
{
	struct up_progress	*u = arg;
	struct job_progress	 p;

	if (u->env->progress == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.bytes_in = done;
	p.bytes_out = done;
	p.items_done = done;
	p.items_total = total;
	snprintf(p.current, sizeof(p.current), "upload %.180s", u->name);
	u->last = p;
	u->env->progress(u->env->progress_arg, &p);
}

static void
up_params(struct s3_params *sp, const struct frame_s3 *s3,
    const struct job_env *env, struct up_progress *u)
{
	memset(sp, 0, sizeof(*sp));
	sp->endpoint = s3->endpoint;
	sp->region = s3->region;
	sp->bucket = s3->bucket;
	sp->access_key = s3->access_key;
	sp->secret_key = s3->secret_key;
	sp->storage_class = s3->storage_class;
	sp->path_style = s3->path_style != 0;
	sp->part_size = s3->part_size;
	sp->concurrency = (int)s3->concurrency;
	sp->bandwidth_limit = s3->bandwidth_limit;
	sp->progress = up_progress;
	sp->alive = up_alive;
	sp->progress_arg = u;
	sp->cancel = env->cancel;
}

static int
up_fail(struct msg_result *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
up_fail(struct msg_result *out, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	out->code = (uint32_t)code;
	return code;
}

/* HEAD key: the object must have size bytes and sha256_hex metadata. */
static int
up_head(const struct s3_params *sp, const char *key, const char *sha256_hex,
    uint64_t size, const char *when, const char *etag, struct msg_result *out)
{
	struct s3_head	 h;
	char		 err[300];
	int		 code;

	if ((code = s3_head(sp, key, &h, err, sizeof(err))) != CAIRN_E_OK) {
		char	 berr[300];
		int	 bcode;

		/* a missing bucket is no lost object */
		if (code == CAIRN_E_NOINPUT && (bcode = s3_bucket_check(sp,
		    berr, sizeof(berr))) != CAIRN_E_OK)
			return up_fail(out, bcode, "%s: %s", when, berr);
		return up_fail(out, code, "%s: %s", when, err);
	}
	if (h.size != size)
		return up_fail(out, CAIRN_E_VERIFY, "%s: the object has %"
		    PRIu64 " bytes, the artifact %" PRIu64, when, h.size, size);
	if (strcmp(h.sha256, sha256_hex) != 0)
		return up_fail(out, CAIRN_E_VERIFY, "%s: the object's sha256 "
		    "metadata is \"%.64s\", not the artifact's", when,
		    h.sha256);
	snprintf(out->message, sizeof(out->message), "%s",
	    etag[0] != '\0' ? etag : h.etag);
	snprintf(out->sha256_hex, sizeof(out->sha256_hex), "%s", h.sha256);
	out->stored_bytes = h.size;
	return CAIRN_E_OK;
}

int
job_upload_one(const struct job_env *env, const struct frame_s3 *s3,
    const char *name, const char *sha256_hex, uint64_t size,
    struct msg_result *out)
{
	struct s3_params	 sp;
	struct up_progress	 u;
	struct stat		 st;
	char			*key, etag[128], err[300];
	int			 fd, code;

	memset(&u, 0, sizeof(u));
	u.env = env;
	u.name = name;
	out->code = CAIRN_E_OK;
	if ((fd = openat(env->dirfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return up_fail(out, CAIRN_E_NOINPUT, "%s: %s", name,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != size) {
		close(fd);
		return up_fail(out, CAIRN_E_DATAERR, "%s: %s", name,
		    "not the regular file of the size the catalog recorded");
	}
	up_params(&sp, s3, env, &u);
	key = xasprintf("%s%s/%s", s3->prefix, env->job->name, name);
	up_progress(&u, 0, size);
	code = s3_upload(&sp, key, fd, size, sha256_hex, etag, sizeof(etag),
	    err, sizeof(err));
	close(fd);
	if (code != CAIRN_E_OK) {
		free(key);
		return up_fail(out, code, "%s", err);
	}
	/* proof: what the server now holds under the key */
	code = up_head(&sp, key, sha256_hex, size, "after upload", etag, out);
	if (code == CAIRN_E_OK)
		log_info("uploaded %s (%" PRIu64 " bytes, etag %s)", key, size,
		    out->message);
	free(key);
	return code;
}

/*
 * verify_download: every byte of the object, streamed and hashed (no
 * file written): its size and SHA-256 must be the catalog's.
 */
static int
up_download(const struct s3_params *sp, const char *key,
    const char *sha256_hex, uint64_t size, struct msg_result *out)
{
	struct s3_head	 h;
	char		 sha[65], err[300];
	int		 code;

	if ((code = s3_get(sp, key, -1, &h, sha, err, sizeof(err))) !=
	    CAIRN_E_OK)
		return up_fail(out, code, "remote download check: %s", err);
	if (h.size != size)
		return up_fail(out, CAIRN_E_VERIFY, "remote download check: "
		    "%" PRIu64 " bytes downloaded, the artifact has %" PRIu64,
		    h.size, size);
	if (strcmp(sha, sha256_hex) != 0)
		return up_fail(out, CAIRN_E_VERIFY, "remote download check: "
		    "the object's bytes have SHA-256 %.64s, not the "
		    "artifact's", sha);
	log_info("%s: downloaded and checked (%" PRIu64 " bytes)", key,
	    h.size);
	snprintf(out->sha256_hex, sizeof(out->sha256_hex), "%s", sha);
	out->stored_bytes = h.size;
	return CAIRN_E_OK;
}

int
job_upload_check(const struct job_env *env, const struct frame_s3 *s3,
    const char *name, const char *sha256_hex, uint64_t size,
    struct msg_result *out)
{
	struct s3_params	 sp;
	struct up_progress	 u;
	char			*key;
	int			 code;

	memset(&u, 0, sizeof(u));
	u.env = env;
	u.name = name;
	out->code = CAIRN_E_OK;
	up_params(&sp, s3, env, &u);
	key = xasprintf("%s%s/%s", s3->prefix, env->job->name, name);
	code = up_head(&sp, key, sha256_hex, size, "remote check", "", out);
	if (code == CAIRN_E_OK && s3->verify_download)
		code = up_download(&sp, key, sha256_hex, size, out);
	free(key);
	return code;
}

int
job_upload_delete(const struct job_env *env, const struct frame_s3 *s3,
    const char *name, struct msg_result *out)
{
	struct s3_params	 sp;
	struct up_progress	 u;
	char			*key, err[300];
	int			 code;

	memset(&u, 0, sizeof(u));
	u.env = env;
	u.name = name;
	out->code = CAIRN_E_OK;
	up_params(&sp, s3, env, &u);
	key = xasprintf("%s%s/%s", s3->prefix, env->job->name, name);
	/* S3 answers 204 for a key that is already gone: that is done too */
	if ((code = s3_delete(&sp, key, err, sizeof(err))) != CAIRN_E_OK)
		up_fail(out, code, "%s", err);
	else
		log_info("deleted %s", key);
	free(key);
	return code;
}

struct up_list {
	const char *const *known;
	size_t		 nknown;
	size_t		 plen;
	job_upload_unknown_fn fn;
	void		*arg;
	size_t		 n, nunknown;
};

static void
up_listed(void *arg, const char *key, uint64_t size)
{
	struct up_list	*l = arg;
	const char	*name;

	l->n++;
	if (strlen(key) < l->plen)	/* not under the prefix: not ours */
		return;
	name = key + l->plen;
	for (size_t i = 0; i < l->nknown; i++)
		if (strcmp(l->known[i], name) == 0)
			return;
	l->nunknown++;
	l->fn(l->arg, name, size);
}

int
job_upload_list(const struct job_env *env, const struct frame_s3 *s3,
    const char *const *known, size_t nknown, job_upload_unknown_fn fn,
    void *arg, struct msg_result *out)
{
	struct s3_params	 sp;
	struct up_progress	 u;
	struct up_list		 l;
	char			*pre, err[300];
	int			 code;

	memset(&u, 0, sizeof(u));
	u.env = env;
	u.name = "(listing)";
	out->code = CAIRN_E_OK;
	up_params(&sp, s3, env, &u);
	pre = xasprintf("%s%s/", s3->prefix, env->job->name);
	memset(&l, 0, sizeof(l));
	l.known = known;
	l.nknown = nknown;
	l.plen = strlen(pre);
	l.fn = fn;
	l.arg = arg;
	if ((code = s3_list(&sp, pre, up_listed, &l, err, sizeof(err))) !=
	    CAIRN_E_OK)
		up_fail(out, code, "%s", err);
	else {
		snprintf(out->message, sizeof(out->message), "%zu object%s "
		    "under %.200s, %zu unknown", l.n, l.n == 1 ? "" : "s", pre,
		    l.nunknown);
		log_info("%s", out->message);
	}
	free(pre);
	return code;
}
