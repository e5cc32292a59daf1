/*
 * maint_worker.c -- the verify and upload engines of a re-executed worker
 * (JOB_VERIFY, JOB_UPLOAD) and the dispatch to them and to the prune engine
 * (prune_engine.c), called by main.c once the sandbox is on.
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
#include "prune_engine.h"

/* -- verify ------------------------------------------------------------ */

/*
 * The verify options of this job: its restore target, progress and cancel
 * hooks, and the age identities it was sent (*ids, their count returned;
 * 0 when none or unreadable: encrypted artifacts get the header check).
 */
static int
maint_verify_opts(const struct frame_job *fj, const struct job_env *env,
    struct verify_opts *o, struct age_identity **ids)
{
	char	 why[192];
	int	 nids = 0;

	memset(o, 0, sizeof(*o));
	if (fj->age_identity != NULL && fj->age_identity[0] != '\0') {
		if ((nids = age_identities_parse(fj->age_identity, ids, why,
		    sizeof(why))) < 0) {
			log_warnx("age identity file %s: %s; encrypted "
			    "artifacts get the header-only check",
			    fj->job.age_identity_file != NULL ?
			    fj->job.age_identity_file : "", why);
			nids = 0;
		}
	}
	o->age_ids = *ids;
	o->nage_ids = (size_t)nids;
	o->dir = env->dir;
	o->restore_test = fj->verify_restore_test != 0;
	o->target = &fj->job.db;
	o->target_password = fj->password;
	o->target_database = fj->job.databases != NULL ?
	    fj->job.databases[0] : NULL;
	o->progress = env->progress;
	o->progress_arg = env->progress_arg;
	o->cancel = env->cancel;
	return nids;
}

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
	int			 code, nids;

	nids = maint_verify_opts(fj, env, &o, &ids);
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
