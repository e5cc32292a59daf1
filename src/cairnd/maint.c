/*
 * maint.c -- the supervisor's side of the verify and prune workers:
 * what runs when, what each worker is sent, and what its answers change
 * in the catalog and the audit trail (docs/verify-and-prune.md).
 *
 * Every configured job has two more slots in sup.c's table: a verify slot
 * and a prune slot, each running a sandboxed worker in that job's folder.
 * The decisions are made here, never by a worker:
 *   - verify: the catalog ids queued for a job (after each backup, at
 *     start-up for every unverified artifact, on verify.schedule for all)
 *     become ITEMs with the catalog's expectations when the worker starts;
 *     each RESULT is checked (the SHA-256 the worker computed against the
 *     catalog's) and recorded with catalog_set_verified() and an audit line.
 *   - prune: once no verification is pending after a backup (or on
 *     retention.schedule), prune_plan_build() plans over every job; a held
 *     plan deletes nothing and is audited; otherwise each job with files to
 *     remove gets a prune worker, and each reported removal is checked on
 *     disk before its catalog row is deleted and `artifact-pruned` audited.
 * cairnctl verify and prune (maint_verify_request(), maint_prune_request())
 * queue the same work and keep a request: the keys (catalog ids, or the
 * files to remove) it waits for.  Each answer, an item a worker never
 * answered or an artifact gone before it was sent ticks its key off; the
 * last one calls the request's maint_done_fn once, with the worst code.
 *
 * This file: the per-job slots (maint_conf()), planning and timers.  The
 * requests are in maint_requests.c, upload queueing in maint_upload.c,
 * what a worker is sent in maint_send.c, its results in maint_results.c;
 * maint_int.h is what they share.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/cron.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/prune.h"
#include "cairn/prune_remote.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "maint_int.h"

struct maint *
maint_new(struct sup *s, struct sup_boot *b, int once)
{
	struct maint	*h = xcalloc(1, sizeof(*h));

	h->sup = s;
	h->boot = b;
	h->once = once;
	h->verify_next = h->prune_next = -1;
	return h;
}

void
maint_free(struct maint *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->njobs; i++) {
		free(h->jobs[i]->name);
		free(h->jobs[i]->pending);
		free(h->jobs[i]->planned);
		free(h->jobs[i]->vfly);
		free(h->jobs[i]->pfly);
		free(h->jobs[i]->upending);
		free(h->jobs[i]->ufly);
		free(h->jobs[i]->rdel);
		for (size_t k = 0; k < h->jobs[i]->nunknown; k++)
			free(h->jobs[i]->unknown[k]);
		free(h->jobs[i]->unknown);
		free(h->jobs[i]);
	}
	free(h->jobs);
	for (size_t i = 0; i < h->nreq; i++) {
		free(h->req[i]->k);
		free(h->req[i]);
	}
	free(h->req);
	free(h);
}

int
maint_failures(const struct maint *h)
{
	return h->failures;
}

struct hjob *
maint_job(struct maint *h, const char *name)
{
	for (size_t i = 0; i < h->njobs; i++)
		if (strcmp(h->jobs[i]->name, name) == 0)
			return h->jobs[i];
	return NULL;
}

/* The hjob whose verify or prune slot this is; NULL for a backup slot. */
struct hjob *
maint_job_of(struct maint *h, const struct slot *sl)
{
	for (size_t i = 0; i < h->njobs; i++)
		if (h->jobs[i]->vslot == sl || h->jobs[i]->pslot == sl ||
		    (h->jobs[i]->uslot != NULL && h->jobs[i]->uslot == sl))
			return h->jobs[i];
	return NULL;
}

int
maint_configured(const struct conf *c, const char *name)
{
	return conf_job_find(c, name) != NULL;
}

void
maint_conf(struct maint *h, const struct conf *c, time_t now)
{
	const struct verify_conf	*v = &c->verify;
	struct hjob			*hj;

	for (size_t i = 0; i < c->njobs; i++) {
		if ((hj = maint_job(h, c->jobs[i].name)) == NULL) {
			hj = xcalloc(1, sizeof(*hj));
			hj->name = xstrdup(c->jobs[i].name);
			h->jobs = xreallocarray(h->jobs, h->njobs + 1,
			    sizeof(*h->jobs));
			h->jobs[h->njobs++] = hj;
			hj->vslot = sup_slot_add(h->sup, hj->name, &hj->vjob);
			hj->pslot = sup_slot_add(h->sup, hj->name, &hj->pjob);
		}
		/* the strings are the conf's: refreshed on every reload */
		memset(&hj->vjob, 0, sizeof(hj->vjob));
		hj->vjob.name = hj->name;
		hj->vjob.kind = JOB_VERIFY;
		hj->vjob.retries = 1;
		hj->vjob.compression = c->jobs[i].compression;
		hj->vjob.age_identity_file = c->jobs[i].age_identity_file;
		if (v->restore_test) {
			hj->vjob.db = v->target;
			hj->dbs[0] = v->target_database;
			hj->dbs[1] = NULL;
			hj->vjob.databases = hj->dbs;
		}
		memset(&hj->pjob, 0, sizeof(hj->pjob));
		hj->pjob.name = hj->name;
		hj->pjob.kind = JOB_PRUNE;
		hj->pjob.retries = 0;	/* the next plan tries again */
		maint_upload_conf(h, hj, &c->jobs[i]);
	}
	if (!h->once) {
		h->verify_next = cron_next(&v->cron, now, c->timezone);
		h->prune_next = cron_next(&c->retention.cron, now,
		    c->timezone);
	}
	if (!h->started) {
		/*
		 * Found at reconcile, or written but never verified; with -o
		 * every artifact (a cycle includes the scheduled full check).
		 */
		h->started = 1;
		maint_verify_catalog(h, NULL, h->once, NULL);
		maint_upload_catalog(h);
		for (size_t i = 0; h->once && i < h->njobs; i++)
			maint_remote_queue(h, h->jobs[i]);
	}
}

/* -- planning ---------------------------------------------------------- */

/* What running workers hold, for the planner; *namesp: free each. */
static struct prune_busy *
maint_busy(struct maint *h, size_t *np, char ***namesp)
{
	struct slot *const	*sl;
	struct prune_busy	*b;
	char			**names, art[256];
	size_t			 n, k = 0;

	sl = sup_slot_list(h->sup, &n);
	b = xcalloc(n > 0 ? n : 1, sizeof(*b));
	names = xcalloc(n > 0 ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		if (sl[i]->w == NULL || sl[i]->job == NULL)
			continue;
		b[k].job = sl[i]->name;
		b[k].kind = sl[i]->job->kind;
		if (b[k].kind == JOB_MYSQL || b[k].kind == JOB_SQLITE) {
			job_artifact_name(art, sizeof(art), sl[i]->w->job,
			    sl[i]->w->started);
			names[k] = xstrdup(art);
			b[k].artifact = names[k];
		}
		k++;
	}
	*np = k;
	*namesp = names;
	return b;
}

static int
maint_plan(struct maint *h, struct prune_plan *p, char *err, size_t errlen)
{
	struct prune_busy	*b;
	char			**names;
	size_t			 nb;
	int			 r;

	if (h->boot->catalog == NULL) {
		snprintf(err, errlen, "prune: no catalog");
		errno = ENOENT;
		return -1;
	}
	if (h->boot->catalog_problem[0] != '\0') {
		/* never delete on the word of a damaged catalog */
		snprintf(err, errlen, "prune: the catalog cannot be trusted, "
		    "nothing deleted: %s", h->boot->catalog_problem);
		errno = EIO;
		return -1;
	}
	b = maint_busy(h, &nb, &names);
	r = prune_plan_build(h->boot->catalog, h->boot->backup_dirfd,
	    sup_conf(h->sup), time(NULL), b, nb, p, err, errlen);
	for (size_t i = 0; i < nb; i++)
		free(names[i]);
	free(names);
	free(b);
	return r;
}

int
maint_prune_dry_run(struct maint *h, struct prune_plan *p, char *err,
    size_t errlen)
{
	return maint_plan(h, p, err, errlen);
}

int
maint_remote_dry_run(struct maint *h, struct remote_plan *p, char *err,
    size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (h->boot->catalog == NULL || h->boot->catalog_problem[0] != '\0')
		return 0;	/* maint_plan() has said why */
	return remote_plan_build(h->boot->catalog, sup_conf(h->sup),
	    time(NULL), p, err, errlen);
}

/* Remote retention: queue the deletions on each job's upload slot. */
static void
maint_prune_remote(struct maint *h)
{
	struct remote_plan	 rp;
	struct hjob		*hj;
	struct hitem		*it;
	char			 err[256];
	size_t			 k;

	if (maint_remote_dry_run(h, &rp, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		maint_audit(h, "prune-failed", AF_STR("error", err));
		h->failures++;
		return;
	}
	if (rp.warning[0] != '\0') {
		log_warnx("remote prune: %s", rp.warning);
		maint_audit(h, "prune-warning", AF_STR("warning", rp.warning));
	}
	for (size_t i = 0; i < rp.n; i++) {
		if (!rp.entries[i].remove ||
		    (hj = maint_job(h, rp.entries[i].job)) == NULL ||
		    hj->uslot == NULL)
			continue;
		for (k = 0; k < hj->nrdel; k++)
			if (hj->rdel[k].id == rp.entries[i].id)
				break;
		if (k < hj->nrdel)
			continue;	/* already queued */
		hj->rdel = xreallocarray(hj->rdel, hj->nrdel + 1,
		    sizeof(*hj->rdel));
		it = &hj->rdel[hj->nrdel++];
		memset(it, 0, sizeof(*it));
		it->id = rp.entries[i].id;
		snprintf(it->name, sizeof(it->name), "%s", rp.entries[i].name);
		snprintf(it->reason, sizeof(it->reason), "%s",
		    rp.entries[i].reason);
		if (hj->uslot->state == SLOT_IDLE)
			sup_slot_queue(h->sup, hj->uslot);
	}
	if (rp.n > 0)
		log_info("remote prune: %zu cop%s to delete of %zu",
		    rp.nremove, rp.nremove == 1 ? "y" : "ies", rp.n);
	remote_plan_free(&rp);
}

/*
 * Each job's hold after a plan: a change is logged and audited
 * (prune-held with the job, prune-resumed), and the reason stays for
 * health, status and metrics until a plan without it.
 */
static void
maint_holds(struct maint *h, const struct prune_plan *p)
{
	char	 now[sizeof(h->jobs[0]->hold)];
	int	 changed = 0;

	for (size_t i = 0; i < h->njobs; i++) {
		struct hjob	*hj = h->jobs[i];

		now[0] = '\0';
		if (p->hold)
			snprintf(now, sizeof(now), "%s", p->warning);
		for (size_t k = 0; k < p->nholds && now[0] == '\0'; k++)
			if (strcmp(p->holds[k].job, hj->name) == 0)
				snprintf(now, sizeof(now), "%s",
				    p->holds[k].reason);
		if (strcmp(now, hj->hold) == 0)
			continue;
		if (now[0] != '\0') {
			log_warnx("%s: pruning held: %s", hj->name, now);
			maint_audit(h, "prune-held", AF_STR("job", hj->name),
			    AF_STR("warning", now));
		} else {
			log_info("%s: pruning resumed", hj->name);
			maint_audit(h, "prune-resumed",
			    AF_STR("job", hj->name));
		}
		if (hj->hold[0] == '\0')
			h->nheld++;
		else if (now[0] == '\0')
			h->nheld--;
		snprintf(hj->hold, sizeof(hj->hold), "%s", now);
		changed = 1;
	}
	if (changed)
		sup_metrics(h->sup);
}

int
maint_upload_state(const struct maint *h, const char *job,
    struct maint_upload *out)
{
	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return 0;
	for (size_t i = 0; i < h->njobs; i++)
		if (strcmp(h->jobs[i]->name, job) == 0) {
			const struct slot	*us = h->jobs[i]->uslot;

			if (us == NULL)
				return 0;
			*out = h->jobs[i]->ustate;
			if (us->w != NULL && !us->w->reaped) {
				out->running = true;
				out->progress = us->w->progress;
			}
			return 1;
		}
	return 0;
}

const char *
maint_prune_hold(const struct maint *h, const char *job)
{
	/* status asks for every job: no lookup in the usual case */
	if (h == NULL || h->nheld == 0)
		return "";
	for (size_t i = 0; i < h->njobs; i++)
		if (strcmp(h->jobs[i]->name, job) == 0)
			return h->jobs[i]->hold;
	return "";
}

/*
 * Plans and queues the removals (q: each one is also a key of q).
 * Returns CAIRN_E_OK, CAIRN_E_UNAVAILABLE for a held plan (nothing
 * removed) or CAIRN_E_SOFTWARE, with the cause in err.
 */
static int
maint_prune_now(struct maint *h, const char *why, struct hreq *q,
    size_t *kept, char *err, size_t errlen)
{
	struct prune_plan	 p;
	struct prune_entry	*e;
	struct hjob		*hj;
	struct hitem		*it;
	int			 code = CAIRN_E_OK;

	if (maint_plan(h, &p, err, errlen) == -1) {
		log_warnx("%s", err);
		maint_audit(h, "prune-failed", AF_STR("error", err));
		h->failures++;
		return CAIRN_E_SOFTWARE;
	}
	if (p.hold) {
		snprintf(err, errlen, "prune is held, nothing deleted: %s",
		    p.warning);
		code = CAIRN_E_UNAVAILABLE;
	}
	if (p.warning[0] != '\0') {
		log_warnx("prune: %s", p.warning);
		maint_audit(h, p.hold ? "prune-held" : "prune-warning",
		    AF_STR("reason", why), AF_STR("warning", p.warning));
	}
	maint_holds(h, &p);
	log_info("prune (%s): %zu file%s to remove of %zu", why, p.nremove,
	    p.nremove == 1 ? "" : "s", p.n);
	for (size_t i = 0; i < p.n; i++) {
		e = &p.entries[i];
		if (!e->remove || (hj = maint_job(h, e->job)) == NULL) {
			if (kept != NULL && !e->remove)
				(*kept)++;
			continue;
		}
		if (q != NULL)
			maint_req_key(q, hj, 0, e->name);
		hj->planned = xreallocarray(hj->planned, hj->nplanned + 1,
		    sizeof(*hj->planned));
		it = &hj->planned[hj->nplanned++];
		memset(it, 0, sizeof(*it));
		it->id = e->id;
		it->what = e->what;
		snprintf(it->name, sizeof(it->name), "%s", e->name);
		snprintf(it->reason, sizeof(it->reason), "%s", e->reason);
	}
	for (size_t i = 0; i < h->njobs; i++)
		if (h->jobs[i]->nplanned > 0 &&
		    h->jobs[i]->pslot->state == SLOT_IDLE)
			sup_slot_queue(h->sup, h->jobs[i]->pslot);
	if (!p.hold)
		maint_prune_remote(h);
	prune_plan_free(&p);
	return code;
}

int
maint_prune_request(struct maint *h, uint64_t ticket, maint_done_fn fn,
    void *arg, size_t *queued, size_t *kept, char *err, size_t errlen)
{
	struct hreq	*q;
	int		 code;

	*queued = *kept = 0;
	for (size_t i = 0; i < h->njobs; i++)
		if (h->jobs[i]->pslot->state != SLOT_IDLE) {
			snprintf(err, errlen, "%s: a prune is already under "
			    "way", h->jobs[i]->name);
			return CAIRN_E_TEMPFAIL;
		}
	q = maint_req_new(h, 1, ticket, fn, arg);
	code = maint_prune_now(h, "cairnctl", q, kept, err, errlen);
	*queued = q->n;
	if (q->n == 0)
		maint_req_drop(h, q);
	return code;
}

static int
maint_busy_state(const struct slot *sl)
{
	return sl->state != SLOT_IDLE;
}

void
maint_timers(struct maint *h, time_t now)
{
	const struct conf	*c = sup_conf(h->sup);
	struct slot *const	*sl;
	size_t			 n;
	int			 verifying = 0, pruning = 0, force = 0;
	int			 waiting = 0;
	char			 err[256];

	if (h->verify_next != -1 && now >= h->verify_next) {
		log_info("verify: scheduled check of every artifact");
		maint_verify_catalog(h, NULL, 1, NULL);
		for (size_t i = 0; i < h->njobs; i++)
			maint_remote_queue(h, h->jobs[i]);
		h->verify_next = cron_next(&c->verify.cron, now, c->timezone);
	}
	if (h->prune_next != -1 && now >= h->prune_next) {
		force = 1;
		h->prune_next = cron_next(&c->retention.cron, now,
		    c->timezone);
	}
	for (size_t i = 0; i < h->njobs; i++) {
		verifying |= maint_busy_state(h->jobs[i]->vslot) ||
		    h->jobs[i]->npending > 0;
		pruning |= maint_busy_state(h->jobs[i]->pslot);
	}
	/* backups still waiting to start: the cycle is not over yet */
	sl = sup_slot_list(h->sup, &n);
	for (size_t i = 0; i < n; i++)
		if (!sl[i]->maint && (sl[i]->state == SLOT_QUEUED ||
		    sl[i]->state == SLOT_BACKOFF))
			waiting = 1;
	/*
	 * After a backup cycle: once no backup waits to start and every
	 * verification is in, so the plan sees the new artifacts verified.
	 * Backups still running are fine: their files are in use.
	 */
	if (!force && waiting)
		return;
	if (force || (h->dirty && !verifying && !pruning)) {
		if (pruning) {
			log_info("prune: previous run still going, skipped");
			return;
		}
		h->dirty = 0;
		maint_prune_now(h, force ? "schedule" : "after backup", NULL,
		    NULL, err, sizeof(err));
	}
}

int64_t
maint_wait_ms(struct maint *h, int64_t wall_ms)
{
	int64_t	 best = INT64_MAX;

	if (h->verify_next != -1)
		best = (int64_t)h->verify_next * 1000 - wall_ms;
	if (h->prune_next != -1 &&
	    (int64_t)h->prune_next * 1000 - wall_ms < best)
		best = (int64_t)h->prune_next * 1000 - wall_ms;
	return best;
}
