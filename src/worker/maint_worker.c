/*
 * maint_worker.c -- the verify and prune engines of a re-executed worker
 * (JOB_VERIFY, JOB_PRUNE), called by worker.c once the sandbox is on.
 *
 * The supervisor decided everything: which artifacts to check (with what
 * the catalog expects of them) or which files to remove.  The worker only
 * reads the ITEM list, does the work in its job folder (env->dirfd) and
 * answers every item with one RESULT frame.  It never chooses a file on
 * its own; a name it was not sent is never touched.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/age.h"
#include "cairn/chan.h"
#include "cairn/errors.h"
#include "cairn/frame.h"
#include "cairn/log.h"
#include "cairn/s3.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "maint_worker.h"

#define HOUSE_ITEM_WAIT_MS	10000	/* between two frames of the list */

void
maint_items_free(struct maint_items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i].tables);
	free(it->v);
	memset(it, 0, sizeof(*it));
}

int
maint_items_read(struct chan *c, uint32_t gen, struct maint_items *it,
    char *err, size_t errlen)
{
	struct frame_hdr	 h;
	const unsigned char	*p;
	struct maint_item	*cur = NULL;
	size_t			 n;

	memset(it, 0, sizeof(*it));
	for (;;) {
		if (chan_recv(c, &h, &p, HOUSE_ITEM_WAIT_MS) == -1) {
			snprintf(err, errlen, "item list: %s", chan_error(c));
			return -1;
		}
		if (h.gen != gen) {
			snprintf(err, errlen, "item list: frame of gen %u",
			    h.gen);
			return -1;
		}
		switch (h.type) {
		case MSG_END:
			if (cur != NULL && cur->ntables != cur->m.ntables)
				goto bad;
			return 0;
		case MSG_ITEM:
			it->v = xreallocarray(it->v, it->n + 1,
			    sizeof(*it->v));
			cur = &it->v[it->n++];
			memset(cur, 0, sizeof(*cur));
			if (frame_decode_item(p, h.len, &cur->m) == -1 ||
			    cur->m.index != it->n - 1)
				goto bad;
			if (cur->m.ntables > 0)
				cur->tables = xcalloc(cur->m.ntables,
				    sizeof(*cur->tables));
			break;
		case MSG_TABLES:
			/* the channel counted them against the ITEM */
			if (cur == NULL || frame_decode_tables(p, h.len,
			    cur->tables + cur->ntables,
			    cur->m.ntables - cur->ntables, &n) == -1)
				goto bad;
			cur->ntables += n;
			break;
		default:
			goto bad;
		}
	}
bad:
	snprintf(err, errlen, "item list: malformed %s frame",
	    frame_type_name(h.type));
	return -1;
}

static void
maint_send_result(maint_send_fn send, const struct msg_result *r)
{
	unsigned char	 buf[512];
	ssize_t		 n;

	if ((n = frame_encode_result(buf, sizeof(buf), r)) > 0)
		send(MSG_RESULT, buf, (size_t)n);
}

static void
maint_tick(const struct job_env *env, const char *what, uint64_t done,
    uint64_t total)
{
	struct job_progress	 p;

	memset(&p, 0, sizeof(p));
	p.items_done = done;
	p.items_total = total;
	snprintf(p.current, sizeof(p.current), "%.191s", what);
	if (env->progress != NULL)
		env->progress(env->progress_arg, &p);
}

/* -- verify ------------------------------------------------------------ */

static int
maint_verify(const struct frame_job *fj, const struct job_env *env,
    const struct maint_items *it, maint_send_fn send, struct job_result *res)
{
	struct verify_expect	 e;
	struct verify_opts	 o;
	struct verify_result	 vr;
	struct msg_result	 r;
	struct age_identity	*ids = NULL;
	size_t			 nfail = 0;
	int			 code, nids = 0;
	char			 why[192];

	memset(&o, 0, sizeof(o));
	if (fj->age_identity != NULL && fj->age_identity[0] != '\0') {
		if ((nids = age_identities_parse(fj->age_identity, &ids, why,
		    sizeof(why))) < 0) {
			log_warnx("age identity file %s: %s; encrypted "
			    "artifacts get the header-only check",
			    fj->job.age_identity_file != NULL ?
			    fj->job.age_identity_file : "", why);
			nids = 0;
		}
	}
	o.age_ids = ids;
	o.nage_ids = (size_t)nids;
	o.dir = env->dir;
	o.restore_test = fj->verify_restore_test != 0;
	o.target = &fj->job.db;
	o.target_password = fj->password;
	o.target_database = fj->job.databases != NULL ?
	    fj->job.databases[0] : NULL;
	o.progress = env->progress;
	o.progress_arg = env->progress_arg;
	o.cancel = env->cancel;
	for (size_t i = 0; i < it->n; i++) {
		const struct maint_item	*x = &it->v[i];

		if (*env->cancel) {
			snprintf(res->message, sizeof(res->message),
			    "cancelled after %zu of %zu artifacts", i, it->n);
			age_identities_free(ids, (size_t)nids);
			return CAIRN_E_TEMPFAIL;
		}
		maint_tick(env, x->m.name, i, it->n);
		verify_expect_init(&e);
		e.sha256_hex = x->m.sha256_hex[0] != '\0' ? x->m.sha256_hex :
		    NULL;
		e.raw_bytes = x->m.raw_bytes;
		e.stored_bytes = x->m.stored_bytes;
		if (x->m.ntables > 0) {
			e.tables = x->tables;
			e.ntables = x->ntables;
		}
		memset(&vr, 0, sizeof(vr));
		code = verify_artifact(env->dirfd, x->m.name, &e, &o, &vr);
		if (code == CAIRN_E_TEMPFAIL && *env->cancel) {
			verify_result_free(&vr);
			snprintf(res->message, sizeof(res->message),
			    "cancelled in %.200s", x->m.name);
			age_identities_free(ids, (size_t)nids);
			return CAIRN_E_TEMPFAIL;
		}
		memset(&r, 0, sizeof(r));
		r.index = x->m.index;
		r.code = (uint32_t)code;
		r.failed = vr.failed;
		r.ran = vr.ran;
		snprintf(r.message, sizeof(r.message), "%s%s",
		    code == CAIRN_E_OK ? "ok" : vr.message[0] != '\0' ?
		    vr.message : cairn_strerror(code),
		    code != CAIRN_E_OK ? "" :
		    vr.age_level == VERIFY_AGE_DECRYPTED ?
		    " (age: decrypted, every check ran)" :
		    vr.age_level == VERIFY_AGE_HEADER ?
		    " (age: header only, no identity: header, size and "
		    "SHA-256 checked)" : "");
		if (strlen(vr.sha256_hex) == 64)
			memcpy(r.sha256_hex, vr.sha256_hex, 65);
		r.raw_bytes = vr.raw_bytes;
		r.stored_bytes = vr.stored_bytes;
		verify_result_free(&vr);
		if (code != CAIRN_E_OK) {
			nfail++;
			log_warnx("%s: %s", x->m.name, r.message);
		} else
			log_debug("%s: verified", x->m.name);
		maint_send_result(send, &r);
	}
	age_identities_free(ids, (size_t)nids);
	/* a failed check is a result, not a failed run */
	log_info("verified %zu artifact%s, %zu failed", it->n,
	    it->n == 1 ? "" : "s", nfail);
	return CAIRN_E_OK;
}

/* -- prune ------------------------------------------------------------- */

static int
maint_prune(const struct job_env *env, const struct maint_items *it,
    maint_send_fn send, struct job_result *res)
{
	struct msg_result	*r;
	size_t			 nfail = 0;
	int			 code = CAIRN_E_OK;

	r = xcalloc(it->n > 0 ? it->n : 1, sizeof(*r));
	for (size_t i = 0; i < it->n; i++) {
		const struct maint_item	*x = &it->v[i];

		maint_tick(env, x->m.name, i, it->n);
		r[i].index = x->m.index;
		if (x->m.op != ITEM_UNLINK) {
			r[i].code = CAIRN_E_PROTOCOL;
			snprintf(r[i].message, sizeof(r[i].message),
			    "not a removal");
		} else if (unlinkat(env->dirfd, x->m.name, 0) == 0)
			snprintf(r[i].message, sizeof(r[i].message), "ok");
		else if (errno == ENOENT)
			snprintf(r[i].message, sizeof(r[i].message),
			    "already gone");
		else {
			r[i].code = CAIRN_E_STORE;
			snprintf(r[i].message, sizeof(r[i].message),
			    "unlink: %s", strerror(errno));
		}
		if (r[i].code != CAIRN_E_OK) {
			nfail++;
			log_warnx("cannot remove %s: %s", x->m.name,
			    r[i].message);
		}
	}
	/* the removals must survive a crash before they are reported */
	if (it->n > 0 && fsync(env->dirfd) == -1) {
		snprintf(res->message, sizeof(res->message),
		    "%s: fsync: %s", env->dir, strerror(errno));
		code = CAIRN_E_IOERR;
	}
	for (size_t i = 0; i < it->n; i++)
		maint_send_result(send, &r[i]);
	free(r);
	if (it->n > 0)
		log_info("removed %zu of %zu file%s", it->n - nfail, it->n,
		    it->n == 1 ? "" : "s");
	return code;
}

/* -- upload ------------------------------------------------------------ */

struct up_unknown {
	maint_send_fn	 send;
	uint32_t	 index;
};

/* An object the run's items do not name: a partial RESULT of the list. */
static void
maint_unknown(void *arg, const char *name, uint64_t size)
{
	struct up_unknown	*u = arg;
	struct msg_result	 r;

	memset(&r, 0, sizeof(r));
	r.index = u->index;
	r.failed = 1;
	snprintf(r.message, sizeof(r.message), "%s", name);
	r.stored_bytes = size;
	maint_send_result(u->send, &r);
}

/* ITEM_REMOTE_LIST: everything under PREFIX JOB/ the other items miss. */
static void
maint_upload_list(const struct frame_job *fj, const struct job_env *env,
    const struct maint_items *it, size_t li, maint_send_fn send,
    struct msg_result *r)
{
	const char		**known = xcalloc(it->n, sizeof(*known));
	struct up_unknown	 u = { send, it->v[li].m.index };
	size_t			 nk = 0;

	for (size_t i = 0; i < it->n; i++)
		if (i != li)
			known[nk++] = it->v[i].m.name;
	job_upload_list(env, &fj->s3, known, nk, maint_unknown, &u, r);
	free(known);
}

/* Deletes, checks and lists: a failure is a result, not a failed run. */
static int
maint_upload_other(const struct frame_job *fj, const struct job_env *env,
    const struct maint_items *it, size_t i, maint_send_fn send)
{
	const struct maint_item	*x = &it->v[i];
	struct msg_result	 r;

	memset(&r, 0, sizeof(r));
	r.index = x->m.index;
	if (x->m.op == ITEM_REMOTE_LIST)
		maint_upload_list(fj, env, it, i, send, &r);
	else if (x->m.op == ITEM_REMOTE_DELETE)
		job_upload_delete(env, &fj->s3, x->m.name, &r);
	else if (x->m.stored_bytes < 0 || strlen(x->m.sha256_hex) != 64) {
		r.code = CAIRN_E_PROTOCOL;
		snprintf(r.message, sizeof(r.message),
		    "not a check with a size and a sha256");
	} else
		job_upload_check(env, &fj->s3, x->m.name, x->m.sha256_hex,
		    (uint64_t)x->m.stored_bytes, &r);
	if (r.code != CAIRN_E_OK)
		log_warnx("%s: %s", x->m.name, r.message);
	maint_send_result(send, &r);
	return 0;
}

static int
maint_upload(const struct frame_job *fj, const struct job_env *env,
    const struct maint_items *it, maint_send_fn send, struct job_result *res)
{
	struct msg_result	 r;
	size_t			 nfail = 0, nretry = 0;

	if (s3_global_init() == -1) {
		snprintf(res->message, sizeof(res->message),
		    "curl_global_init failed");
		return CAIRN_E_SOFTWARE;
	}
	for (size_t i = 0; i < it->n; i++) {
		const struct maint_item	*x = &it->v[i];

		if (*env->cancel) {
			snprintf(res->message, sizeof(res->message),
			    "cancelled after %zu of %zu uploads", i, it->n);
			return CAIRN_E_TEMPFAIL;
		}
		memset(&r, 0, sizeof(r));
		r.index = x->m.index;
		if (x->m.op == ITEM_REMOTE_CHECK ||
		    x->m.op == ITEM_REMOTE_DELETE ||
		    x->m.op == ITEM_REMOTE_LIST) {
			maint_upload_other(fj, env, it, i, send);
			continue;
		}
		if (x->m.op != ITEM_UPLOAD || x->m.stored_bytes < 0 ||
		    strlen(x->m.sha256_hex) != 64) {
			r.code = CAIRN_E_PROTOCOL;
			snprintf(r.message, sizeof(r.message),
			    "not an upload with a size and a sha256");
		} else
			job_upload_one(env, &fj->s3, x->m.name,
			    x->m.sha256_hex, (uint64_t)x->m.stored_bytes, &r);
		if (r.code == CAIRN_E_TEMPFAIL && *env->cancel) {
			snprintf(res->message, sizeof(res->message),
			    "cancelled in %.200s", x->m.name);
			return CAIRN_E_TEMPFAIL;
		}
		if (r.code != CAIRN_E_OK) {
			nfail++;
			nretry += r.code != CAIRN_E_CONFIG;
			log_warnx("%s: %s", x->m.name, r.message);
		}
		maint_send_result(send, &r);
	}
	s3_global_cleanup();
	if (nfail > 0) {
		/*
		 * The supervisor retries the run with backoff, unless every
		 * failure was the configuration's (a missing bucket).
		 */
		snprintf(res->message, sizeof(res->message), "%zu upload%s "
		    "failed", nfail, nfail == 1 ? "" : "s");
		return nretry > 0 ? CAIRN_E_TEMPFAIL : CAIRN_E_CONFIG;
	}
	return CAIRN_E_OK;
}

int
maint_worker_run(const struct frame_job *fj, const struct job_env *env,
    const struct maint_items *it, maint_send_fn send, struct job_result *res)
{
	switch (fj->job.kind) {
	case JOB_VERIFY:
		return maint_verify(fj, env, it, send, res);
	case JOB_PRUNE:
		return maint_prune(env, it, send, res);
	case JOB_UPLOAD:
		return maint_upload(fj, env, it, send, res);
	default:
		snprintf(res->message, sizeof(res->message),
		    "not a verify or prune job");
		return CAIRN_E_SOFTWARE;
	}
}
