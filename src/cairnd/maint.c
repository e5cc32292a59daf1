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
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/chan.h"
#include "cairn/cron.h"
#include "cairn/errors.h"
#include "cairn/frame.h"
#include "cairn/log.h"
#include "cairn/prune.h"
#include "cairn/prune_remote.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "alerts.h"
#include "maint.h"
#include "sup_api.h"

/* One item sent to a running worker, or planned for the next one. */
struct hitem {
	int64_t		 id;		/* catalog row; 0: a temp file */
	char		 name[256];
	char		 sha256[65];	/* verify: the catalog's */
	int		 found;		/* verify: row made at reconcile */
	enum prune_what	 what;
	char		 reason[48];	/* prune: the plan's */
	int		 answered;
	uint64_t	 size;		/* upload: stored bytes */
	int		 failed;	/* upload: answered with a failure */
	int		 rcheck;	/* remote check: id is the copy's row */
	int64_t		 art_id;	/* remote check: its artifact, 0 gone */
	int		 rdelete;	/* remote prune: id is the copy's row */
	int		 rlist;		/* the listing of PREFIX JOB/ */
};

struct hjob {
	char		*name;
	struct job_conf	 vjob, pjob;	/* the slots' jobs */
	char		*dbs[2];	/* vjob.databases */
	struct slot	*vslot, *pslot;
	int64_t		*pending;	/* verify: catalog ids queued */
	size_t		 npending;
	struct hitem	*planned;	/* prune: removals for the next run */
	size_t		 nplanned;
	struct hitem	*vfly, *pfly;	/* sent to the running worker */
	size_t		 nvfly, npfly;
	char		 hold[320];	/* the last plan held it: why */
	/* upload (docs/offsite.md): only when the job names a remote */
	struct job_conf	 ujob;
	struct slot	*uslot;
	int64_t		*upending;	/* catalog ids queued for upload */
	size_t		 nupending;
	struct hitem	*ufly;
	size_t		 nufly;
	int		 rcheck;	/* HEAD every remote copy next run */
	struct maint_upload ustate;	/* for status and the metrics */
	struct hitem	*rdel;		/* remote copies to delete next run */
	size_t		 nrdel;
	char		**unknown;	/* keys reported as unknown (once) */
	size_t		 nunknown;
};

/* cairnctl verify/prune: one ticket over the items it queued. */
struct hkey {
	struct hjob	*hj;
	int64_t		 id;		/* verify: the catalog row */
	char		 name[256];	/* prune: the file */
	int		 done;
};

struct hreq {
	uint64_t	 ticket;
	maint_done_fn	 fn;
	void		*arg;
	int		 prune;
	struct hkey	*k;		/* owns */
	size_t		 n, left;
	size_t		 ok;
	int		 worst;
	char		 first[400];	/* the first failure's line */
};

struct maint {
	struct sup	*sup;
	struct sup_boot	*boot;
	int		 once;
	int		 started;
	time_t		 verify_next;	/* -1: none */
	time_t		 prune_next;
	int		 dirty;		/* something ended since the last plan */
	int		 failures;
	struct hjob	**jobs;
	size_t		 njobs;
	size_t		 nheld;		/* jobs with a hold */
	struct hreq	**req;		/* owns */
	size_t		 nreq;
};

#define maint_audit(h, ev, ...) do {					\
	if ((h)->boot->audit != NULL &&					\
	    audit_write((h)->boot->audit, (ev), __VA_ARGS__) == -1)	\
		log_warn("audit %s", (ev));				\
} while (0)

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

static struct hjob *
maint_job(struct maint *h, const char *name)
{
	for (size_t i = 0; i < h->njobs; i++)
		if (strcmp(h->jobs[i]->name, name) == 0)
			return h->jobs[i];
	return NULL;
}

/* The hjob whose verify or prune slot this is; NULL for a backup slot. */
static struct hjob *
maint_job_of(struct maint *h, const struct slot *sl)
{
	for (size_t i = 0; i < h->njobs; i++)
		if (h->jobs[i]->vslot == sl || h->jobs[i]->pslot == sl ||
		    (h->jobs[i]->uslot != NULL && h->jobs[i]->uslot == sl))
			return h->jobs[i];
	return NULL;
}

static int
maint_configured(const struct conf *c, const char *name)
{
	return conf_job_find(c, name) != NULL;
}

/* -- cairnctl requests ------------------------------------------------ */

static void
maint_req_key(struct hreq *q, struct hjob *hj, int64_t id, const char *name)
{
	q->k = xreallocarray(q->k, q->n + 1, sizeof(*q->k));
	memset(&q->k[q->n], 0, sizeof(*q->k));
	q->k[q->n].hj = hj;
	q->k[q->n].id = id;
	snprintf(q->k[q->n].name, sizeof(q->k[q->n].name), "%s", name);
	q->n++;
	q->left++;
}

/* The request is answered: one line, the worst code. */
static void
maint_req_finish(struct maint *h, size_t qi)
{
	struct hreq	*q = h->req[qi];
	char		 text[600];
	size_t		 bad = q->n - q->ok;

	if (q->n == 1 && bad == 1)
		snprintf(text, sizeof(text), "%s", q->first);
	else if (bad == 0)
		snprintf(text, sizeof(text), "%s %zu %s: %zu ok",
		    q->prune ? "removed" : "verified", q->n,
		    q->prune ? (q->n == 1 ? "file" : "files") :
		    (q->n == 1 ? "artifact" : "artifacts"), q->ok);
	else
		snprintf(text, sizeof(text), "%s %zu %s: %zu ok, %zu failed; "
		    "first: %s", q->prune ? "pruned" : "verified", q->n,
		    q->prune ? (q->n == 1 ? "file" : "files") :
		    (q->n == 1 ? "artifact" : "artifacts"), q->ok, bad,
		    q->first);
	h->req[qi] = h->req[--h->nreq];
	q->fn(q->arg, q->ticket, q->worst, text);
	free(q->k);
	free(q);
}

/* An item of a prune (prune) or verification ended: every request on it. */
static void
maint_req_item(struct maint *h, int prune, struct hjob *hj, int64_t id,
    const char *name, int code, const char *line)
{
	for (size_t qi = h->nreq; qi-- > 0;) {
		struct hreq	*q = h->req[qi];

		if (q->prune != prune)
			continue;
		for (size_t i = 0; i < q->n; i++) {
			struct hkey	*k = &q->k[i];

			if (k->done || (prune ? k->hj != hj ||
			    strcmp(k->name, name) != 0 : k->id != id))
				continue;
			k->done = 1;
			q->left--;
			if (code == CAIRN_E_OK)
				q->ok++;
			else if (q->first[0] == '\0')
				snprintf(q->first, sizeof(q->first), "%s",
				    line);
			if (code > q->worst)
				q->worst = code;
			if (q->left == 0)
				maint_req_finish(h, qi);
			break;
		}
	}
}

static struct hreq *
maint_req_new(struct maint *h, int prune, uint64_t ticket, maint_done_fn fn,
    void *arg)
{
	struct hreq	*q = xcalloc(1, sizeof(*q));

	q->prune = prune;
	q->ticket = ticket;
	q->fn = fn;
	q->arg = arg;
	h->req = xreallocarray(h->req, h->nreq + 1, sizeof(*h->req));
	h->req[h->nreq++] = q;
	return q;
}

/* Drops a request that queued nothing (it is never answered). */
static void
maint_req_drop(struct maint *h, struct hreq *q)
{
	for (size_t i = 0; i < h->nreq; i++)
		if (h->req[i] == q) {
			h->req[i] = h->req[--h->nreq];
			free(q->k);
			free(q);
			return;
		}
}

void
maint_requests_cancel(struct maint *h, const char *why)
{
	while (h != NULL && h->nreq > 0) {
		struct hreq	*q = h->req[h->nreq - 1];

		h->nreq--;
		q->fn(q->arg, q->ticket, CAIRN_E_UNAVAILABLE, why);
		free(q->k);
		free(q);
	}
}

/* Queue catalog id for verification (once) and wake the verify slot. */
static void
maint_verify_queue(struct maint *h, struct hjob *hj, int64_t id)
{
	for (size_t i = 0; i < hj->npending; i++)
		if (hj->pending[i] == id)
			goto wake;
	hj->pending = xreallocarray(hj->pending, hj->npending + 1,
	    sizeof(*hj->pending));
	hj->pending[hj->npending++] = id;
wake:
	if (hj->vslot->state == SLOT_IDLE)
		sup_slot_queue(h->sup, hj->vslot);
}

/* Every artifact of a job (all: true) or only the unverified ones. */
static void
maint_verify_catalog(struct maint *h, const char *job, int all,
    struct hreq *q)
{
	struct artifact	*a = NULL;
	struct hjob	*hj;
	size_t		 n = 0;

	if (h->boot->catalog == NULL ||
	    catalog_list(h->boot->catalog, job, &a, &n) == -1)
		return;
	/* oldest first: the list is newest first */
	for (size_t i = n; i-- > 0;) {
		if ((hj = maint_job(h, a[i].job)) == NULL ||
		    !maint_configured(sup_conf(h->sup), a[i].job))
			continue;
		if (a[i].status == ART_MISSING || a[i].status == ART_DELETED)
			continue;
		if (all || a[i].status == ART_UNVERIFIED) {
			if (q != NULL)
				maint_req_key(q, hj, a[i].id, a[i].path);
			maint_verify_queue(h, hj, a[i].id);
		}
	}
	free(a);
}

/* -- upload: queueing -------------------------------------------------- */

static void
maint_upload_conf(struct maint *h, struct hjob *hj, const struct job_conf *j)
{
	if (j->upload == NULL && hj->uslot == NULL)
		return;
	if (hj->uslot == NULL)
		hj->uslot = sup_slot_add(h->sup, hj->name, &hj->ujob);
	/* the strings are the conf's: refreshed on every reload */
	memset(&hj->ujob, 0, sizeof(hj->ujob));
	hj->ujob.name = hj->name;
	hj->ujob.kind = JOB_UPLOAD;
	hj->ujob.retries = j->retries;
	hj->ujob.upload = j->upload;	/* NULL: no longer uploaded */
}

/* Has the job's remote a copy of path ("JOB/NAME") on record? */
static int
maint_has_copy(struct maint *h, struct hjob *hj, const char *path)
{
	struct remote_copy	*rc = NULL;
	size_t			 n = 0;
	int			 found = 0;

	if (h->boot->catalog == NULL || catalog_remote_list(h->boot->catalog,
	    hj->name, &rc, &n) == -1)
		return 0;
	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(rc[i].path, path) == 0 &&
		    strcmp(rc[i].remote, hj->ujob.upload) == 0;
	free(rc);
	return found;
}

/* Queue catalog id for upload (once) and wake the upload slot. */
static void
maint_upload_queue(struct maint *h, struct hjob *hj, int64_t id)
{
	if (hj->uslot == NULL || hj->ujob.upload == NULL)
		return;
	for (size_t i = 0; i < hj->nupending; i++)
		if (hj->upending[i] == id)
			goto wake;
	hj->upending = xreallocarray(hj->upending, hj->nupending + 1,
	    sizeof(*hj->upending));
	hj->upending[hj->nupending++] = id;
wake:
	if (hj->uslot->state == SLOT_IDLE)
		sup_slot_queue(h->sup, hj->uslot);
}

/* Check every remote copy of the job on its next upload run. */
static void
maint_remote_queue(struct maint *h, struct hjob *hj)
{
	if (hj->uslot == NULL || hj->ujob.upload == NULL)
		return;
	hj->rcheck = 1;
	if (hj->uslot->state == SLOT_IDLE)
		sup_slot_queue(h->sup, hj->uslot);
}

/* At start-up: verified artifacts without a copy on their job's remote. */
static void
maint_upload_catalog(struct maint *h)
{
	struct artifact		*a = NULL;
	struct remote_copy	*rc = NULL;
	struct hjob		*hj;
	size_t			 n = 0, nrc = 0, k;

	if (h->boot->catalog == NULL ||
	    catalog_list(h->boot->catalog, NULL, &a, &n) == -1)
		return;
	if (catalog_remote_list(h->boot->catalog, NULL, &rc, &nrc) == -1)
		nrc = 0;
	for (size_t i = n; i-- > 0;) {
		if (a[i].status != ART_OK ||
		    (hj = maint_job(h, a[i].job)) == NULL ||
		    hj->ujob.upload == NULL)
			continue;
		for (k = 0; k < nrc; k++)
			if (strcmp(rc[k].path, a[i].path) == 0 &&
			    strcmp(rc[k].remote, hj->ujob.upload) == 0)
				break;
		if (k == nrc)
			maint_upload_queue(h, hj, a[i].id);
	}
	free(rc);
	free(a);
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

int
maint_verify_request(struct maint *h, const char *what, uint64_t ticket,
    maint_done_fn fn, void *arg, size_t *queued, char *err, size_t errlen)
{
	struct artifact	*a = NULL, *hit = NULL;
	struct hjob	*hj;
	struct hreq	*q;
	const char	*base;
	size_t		 n = 0;

	*queued = 0;
	if (h->boot->catalog == NULL) {
		snprintf(err, errlen, "verify: no catalog");
		return CAIRN_E_SOFTWARE;
	}
	if (h->boot->catalog_problem[0] != '\0') {
		/* "nothing to verify" from a damaged catalog would be a lie */
		snprintf(err, errlen, "verify: the catalog cannot be trusted: "
		    "%s", h->boot->catalog_problem);
		return CAIRN_E_SOFTWARE;
	}
	q = maint_req_new(h, 0, ticket, fn, arg);
	if (what == NULL || (strchr(what, '/') == NULL &&
	    maint_configured(sup_conf(h->sup), what))) {
		/* every artifact, or every artifact of one job */
		maint_verify_catalog(h, what, 1, q);
		goto out;
	}
	if (catalog_list(h->boot->catalog, NULL, &a, &n) == -1) {
		snprintf(err, errlen, "verify: catalog: %s",
		    catalog_error(h->boot->catalog));
		maint_req_drop(h, q);
		return CAIRN_E_SOFTWARE;
	}
	/* "JOB/NAME" (relative to backup_dir) or the file name alone */
	for (size_t i = 0; i < n && hit == NULL; i++) {
		base = strrchr(a[i].path, '/');
		if (strcmp(a[i].path, what) == 0 || (base != NULL &&
		    strchr(what, '/') == NULL && strcmp(base + 1, what) == 0))
			hit = &a[i];
	}
	if (hit == NULL || (hj = maint_job(h, hit->job)) == NULL ||
	    !maint_configured(sup_conf(h->sup), hit->job)) {
		snprintf(err, errlen, "no artifact %s in the catalog of a "
		    "configured job (give JOB/NAME, a file name or a job)",
		    what);
		free(a);
		maint_req_drop(h, q);
		return CAIRN_E_USAGE;
	}
	if (hit->status == ART_MISSING || hit->status == ART_DELETED) {
		snprintf(err, errlen, "%s: the file is %s", hit->path,
		    hit->status == ART_MISSING ? "missing" : "deleted");
		free(a);
		maint_req_drop(h, q);
		return CAIRN_E_NOINPUT;
	}
	maint_req_key(q, hj, hit->id, hit->path);
	maint_verify_queue(h, hj, hit->id);
	free(a);
out:
	*queued = q->n;
	if (q->n == 0)
		maint_req_drop(h, q);
	return CAIRN_E_OK;
}

/* -- sending the items ------------------------------------------------- */

static void
maint_queue_tables(struct worker *w, const struct table_stat *t, size_t n)
{
	unsigned char	*buf = xmalloc(FRAME_MAX_PAYLOAD);
	ssize_t		 len;
	size_t		 k;

	for (size_t i = 0; i < n; i += k) {
		k = n - i > FRAME_TABLES_PER_FRAME ? FRAME_TABLES_PER_FRAME :
		    n - i;
		if ((len = frame_encode_tables(buf, FRAME_MAX_PAYLOAD, t + i,
		    k)) == -1)
			break;	/* cannot happen: 128 names of < 192 bytes */
		chan_queue(w->chan, MSG_TABLES, w->gen, buf, (size_t)len, -1);
	}
	free(buf);
}

static void
maint_send_verify(struct maint *h, struct hjob *hj, struct worker *w)
{
	struct artifact		 a;
	struct table_stat	*t;
	struct msg_item		 m;
	unsigned char		 buf[512];
	size_t			 nt, plen = strlen(hj->name);
	ssize_t			 len;

	free(hj->vfly);
	hj->vfly = NULL;
	hj->nvfly = 0;
	for (size_t i = 0; i < hj->npending; i++) {
		if (h->boot->catalog == NULL || catalog_get(h->boot->catalog,
		    hj->pending[i], &a) == -1 || a.status == ART_MISSING ||
		    a.status == ART_DELETED || strncmp(a.path, hj->name,
		    plen) != 0 || a.path[plen] != '/') {
			/* pruned or gone meanwhile */
			maint_req_item(h, 0, hj, hj->pending[i], NULL,
			    CAIRN_E_NOINPUT, "artifact gone before it was "
			    "verified");
			continue;
		}
		t = NULL;
		nt = 0;
		if (a.raw_bytes > 0 && catalog_tables(h->boot->catalog, a.id,
		    &t, &nt) == -1)
			nt = 0;
		memset(&m, 0, sizeof(m));
		m.index = (uint32_t)hj->nvfly;
		m.op = ITEM_VERIFY;
		snprintf(m.name, sizeof(m.name), "%s", a.path + plen + 1);
		snprintf(m.sha256_hex, sizeof(m.sha256_hex), "%s", a.sha256);
		/* a row made at reconcile knows only the stored size */
		m.raw_bytes = a.raw_bytes > 0 ? (int64_t)a.raw_bytes : -1;
		m.stored_bytes = (int64_t)a.stored_bytes;
		m.ntables = nt > FRAME_TABLES_MAX ? 0 : (uint32_t)nt;
		if ((len = frame_encode_item(buf, sizeof(buf), &m)) == -1) {
			free(t);
			continue;
		}
		hj->vfly = xreallocarray(hj->vfly, hj->nvfly + 1,
		    sizeof(*hj->vfly));
		memset(&hj->vfly[hj->nvfly], 0, sizeof(*hj->vfly));
		hj->vfly[hj->nvfly].id = a.id;
		snprintf(hj->vfly[hj->nvfly].name, sizeof(m.name), "%s",
		    m.name);
		snprintf(hj->vfly[hj->nvfly].sha256, 65, "%s", a.sha256);
		hj->vfly[hj->nvfly].found = a.raw_bytes == 0;
		hj->nvfly++;
		chan_queue(w->chan, MSG_ITEM, w->gen, buf, (size_t)len, -1);
		if (m.ntables > 0)
			maint_queue_tables(w, t, m.ntables);
		free(t);
	}
	hj->npending = 0;
}

static void
maint_send_prune(struct hjob *hj, struct worker *w)
{
	struct msg_item	 m;
	unsigned char	 buf[512];
	ssize_t		 len;

	free(hj->pfly);
	hj->pfly = hj->planned;
	hj->npfly = hj->nplanned;
	hj->planned = NULL;
	hj->nplanned = 0;
	for (size_t i = 0; i < hj->npfly; i++) {
		memset(&m, 0, sizeof(m));
		m.index = (uint32_t)i;
		m.op = ITEM_UNLINK;
		snprintf(m.name, sizeof(m.name), "%s", hj->pfly[i].name);
		m.raw_bytes = m.stored_bytes = -1;
		if ((len = frame_encode_item(buf, sizeof(buf), &m)) != -1)
			chan_queue(w->chan, MSG_ITEM, w->gen, buf,
			    (size_t)len, -1);
	}
}

/* Every copy of the job on its remote, to HEAD (verify schedule, -o). */
static void
maint_send_rchecks(struct maint *h, struct hjob *hj, struct worker *w)
{
	struct remote_copy	*rc = NULL;
	struct msg_item		 m;
	struct hitem		*it;
	unsigned char		 buf[512];
	size_t			 n = 0, plen = strlen(hj->name);
	ssize_t			 len;

	if (h->boot->catalog == NULL || catalog_remote_list(h->boot->catalog,
	    hj->name, &rc, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rc[i].remote, hj->ujob.upload) != 0 ||
		    strncmp(rc[i].path, hj->name, plen) != 0 ||
		    rc[i].path[plen] != '/')
			continue;
		memset(&m, 0, sizeof(m));
		m.index = (uint32_t)hj->nufly;
		m.op = ITEM_REMOTE_CHECK;
		snprintf(m.name, sizeof(m.name), "%s", rc[i].path + plen + 1);
		snprintf(m.sha256_hex, sizeof(m.sha256_hex), "%s",
		    rc[i].sha256);
		m.raw_bytes = -1;
		m.stored_bytes = (int64_t)rc[i].size;
		if ((len = frame_encode_item(buf, sizeof(buf), &m)) == -1)
			continue;
		hj->ufly = xreallocarray(hj->ufly, hj->nufly + 1,
		    sizeof(*hj->ufly));
		it = &hj->ufly[hj->nufly++];
		memset(it, 0, sizeof(*it));
		it->id = rc[i].id;
		it->art_id = rc[i].artifact_id;
		it->rcheck = 1;
		it->size = rc[i].size;
		snprintf(it->name, sizeof(it->name), "%s", m.name);
		snprintf(it->sha256, sizeof(it->sha256), "%s", rc[i].sha256);
		chan_queue(w->chan, MSG_ITEM, w->gen, buf, (size_t)len, -1);
	}
	free(rc);
}

/* One more ITEM for the upload worker, remembered in hj->ufly. */
static struct hitem *
maint_send_uitem(struct hjob *hj, struct worker *w, struct msg_item *m)
{
	unsigned char	 buf[512];
	struct hitem	*it;
	ssize_t		 len;

	m->index = (uint32_t)hj->nufly;
	if ((len = frame_encode_item(buf, sizeof(buf), m)) == -1)
		return NULL;
	hj->ufly = xreallocarray(hj->ufly, hj->nufly + 1, sizeof(*hj->ufly));
	it = &hj->ufly[hj->nufly++];
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", m->name);
	chan_queue(w->chan, MSG_ITEM, w->gen, buf, (size_t)len, -1);
	return it;
}

/* Remote retention's deletions planned by the last prune. */
static void
maint_send_rdeletes(struct hjob *hj, struct worker *w)
{
	struct msg_item	 m;
	struct hitem	*it;

	for (size_t i = 0; i < hj->nrdel; i++) {
		memset(&m, 0, sizeof(m));
		m.op = ITEM_REMOTE_DELETE;
		snprintf(m.name, sizeof(m.name), "%s", hj->rdel[i].name);
		m.raw_bytes = m.stored_bytes = -1;
		if ((it = maint_send_uitem(hj, w, &m)) == NULL)
			continue;
		it->id = hj->rdel[i].id;
		it->rdelete = 1;
		snprintf(it->reason, sizeof(it->reason), "%s",
		    hj->rdel[i].reason);
	}
	free(hj->rdel);
	hj->rdel = NULL;
	hj->nrdel = 0;
}

/* Last: list PREFIX JOB/ for objects the catalog does not know. */
static void
maint_send_rlist(struct hjob *hj, struct worker *w)
{
	struct msg_item	 m;
	struct hitem	*it;

	memset(&m, 0, sizeof(m));
	m.op = ITEM_REMOTE_LIST;
	snprintf(m.name, sizeof(m.name), "%s", hj->name);
	m.raw_bytes = m.stored_bytes = -1;
	if ((it = maint_send_uitem(hj, w, &m)) != NULL)
		it->rlist = it->rcheck = 1;
}

static void
maint_send_upload(struct maint *h, struct hjob *hj, struct worker *w)
{
	struct artifact	 a;
	struct msg_item	 m;
	struct hitem	*it;
	unsigned char	 buf[512];
	size_t		 plen = strlen(hj->name);
	ssize_t		 len;

	free(hj->ufly);
	hj->ufly = NULL;
	hj->nufly = 0;
	for (size_t i = 0; i < hj->nupending; i++) {
		if (h->boot->catalog == NULL || catalog_get(h->boot->catalog,
		    hj->upending[i], &a) == -1 || a.status != ART_OK ||
		    strncmp(a.path, hj->name, plen) != 0 ||
		    a.path[plen] != '/')
			continue;	/* pruned, failed or gone meanwhile */
		memset(&m, 0, sizeof(m));
		m.index = (uint32_t)hj->nufly;
		m.op = ITEM_UPLOAD;
		snprintf(m.name, sizeof(m.name), "%s", a.path + plen + 1);
		snprintf(m.sha256_hex, sizeof(m.sha256_hex), "%s", a.sha256);
		m.raw_bytes = -1;
		m.stored_bytes = (int64_t)a.stored_bytes;
		if ((len = frame_encode_item(buf, sizeof(buf), &m)) == -1)
			continue;
		hj->ufly = xreallocarray(hj->ufly, hj->nufly + 1,
		    sizeof(*hj->ufly));
		it = &hj->ufly[hj->nufly++];
		memset(it, 0, sizeof(*it));
		it->id = a.id;
		it->size = a.stored_bytes;
		snprintf(it->name, sizeof(it->name), "%s", m.name);
		snprintf(it->sha256, sizeof(it->sha256), "%s", a.sha256);
		chan_queue(w->chan, MSG_ITEM, w->gen, buf, (size_t)len, -1);
	}
	hj->nupending = 0;
	if (hj->rcheck)
		maint_send_rchecks(h, hj, w);
	maint_send_rdeletes(hj, w);
	if (hj->rcheck)
		maint_send_rlist(hj, w);
	hj->rcheck = 0;
}

void
maint_spawned(struct maint *h, struct worker *w)
{
	struct hjob	*hj = maint_job_of(h, w->slot);

	if (w->chan == NULL)
		return;
	if (hj != NULL && w->slot == hj->uslot)
		maint_send_upload(h, hj, w);
	else if (hj != NULL && w->slot == hj->vslot)
		maint_send_verify(h, hj, w);
	else if (hj != NULL)
		maint_send_prune(hj, w);
	chan_queue(w->chan, MSG_END, w->gen, NULL, 0, -1);
}

/* -- results ----------------------------------------------------------- */

/* The first failed check's name, or what kind of failure it was. */
static const char *
maint_check_name(const struct msg_result *r)
{
	for (int c = 0; c < VERIFY_CHECK_MAX; c++)
		if (r->failed & (1u << c))
			return verify_check_name(c);
	return r->code == CAIRN_E_NOINPUT ? "open" : "error";
}

/*
 * The worker could not open the file: if it is gone, the artifact is
 * missing (catalog, audit artifact-missing, answer 66), not damaged.
 */
static int
maint_verify_gone(struct maint *h, struct hjob *hj, struct hitem *it)
{
	struct stat	 st;
	char		*rel, line[600];
	int		 gone;

	rel = xasprintf("%s/%s", hj->name, it->name);
	gone = fstatat(h->boot->backup_dirfd, rel, &st,
	    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT;
	if (gone) {
		if (h->boot->catalog != NULL && catalog_set_status(
		    h->boot->catalog, it->id, ART_MISSING) == -1)
			log_warnx("catalog: %s: %s", rel,
			    catalog_error(h->boot->catalog));
		log_warnx("%s: %s is missing", hj->name, it->name);
		maint_audit(h, "artifact-missing", AF_STR("job", hj->name),
		    AF_STR("artifact", rel));
		snprintf(line, sizeof(line), "%s: missing: the file is gone",
		    rel);
		maint_req_item(h, 0, hj, it->id, NULL, CAIRN_E_NOINPUT, line);
	}
	free(rel);
	return gone;
}

static void
maint_verified(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	char		 text[512], line[900], *rel;
	const char	*check = NULL;
	int		 ok = r->code == CAIRN_E_OK, record;

	if (r->code == CAIRN_E_NOINPUT && maint_verify_gone(h, hj, it))
		return;
	if (ok && it->sha256[0] != '\0' &&
	    strcmp(it->sha256, r->sha256_hex) != 0) {
		/* the worker's claim against what the catalog recorded */
		ok = 0;
		check = "sha256";
		snprintf(text, sizeof(text), "sha256 mismatch: catalog %.12s... "
		    "file %.12s...", it->sha256, r->sha256_hex);
	} else if (it->found) {
		/*
		 * A file found on disk without a row: its SHA-256 and table
		 * counts were never recorded by a backup run, so nothing
		 * proves it is what was dumped.  It never counts as verified.
		 */
		ok = 0;
		check = "catalog";
		snprintf(text, sizeof(text), "no catalog record from a backup "
		    "run (found on disk); content: %s", r->message);
		/* reconcile did not read the file: the worker hashed it */
		if (it->sha256[0] == '\0' && strlen(r->sha256_hex) == 64 &&
		    h->boot->catalog != NULL && catalog_set_sha256(
		    h->boot->catalog, it->id, r->sha256_hex) == -1)
			log_warnx("catalog: %s/%s: %s", hj->name, it->name,
			    catalog_error(h->boot->catalog));
	} else if (!ok) {
		check = maint_check_name(r);
		snprintf(text, sizeof(text), "%s", r->message);
	} else	/* "ok", and for an age file which level ran */
		snprintf(text, sizeof(text), "%s", strncmp(r->message, "ok",
		    2) == 0 ? r->message : "ok");

	/* a check that could not run says nothing about the file */
	record = ok || check == NULL || strcmp(check, "error") != 0;
	if (record && h->boot->catalog != NULL &&
	    catalog_set_verified(h->boot->catalog, it->id, ok, time(NULL),
	    text) == -1) {
		log_warnx("catalog: %s/%s: %s", hj->name, it->name,
		    catalog_error(h->boot->catalog));
		sup_catalog_fault(h->boot, catalog_error(h->boot->catalog));
	}
	if (ok)
		snprintf(line, sizeof(line), "%s/%s: %s", hj->name, it->name,
		    text);
	else
		snprintf(line, sizeof(line), "%s/%s: %s check failed: %s",
		    hj->name, it->name, check, text);
	maint_req_item(h, 0, hj, it->id, NULL, ok ? CAIRN_E_OK :
	    strcmp(check, "error") == 0 && r->code != CAIRN_E_OK ? r->code :
	    CAIRN_E_VERIFY, line);
	if (ok) {
		log_info("%s: verified %s", hj->name, it->name);
		rel = xasprintf("%s/%s", hj->name, it->name);
		if (!it->found && hj->ujob.upload != NULL &&
		    !maint_has_copy(h, hj, rel))
			maint_upload_queue(h, hj, it->id);
		free(rel);
		maint_audit(h, "artifact-verified", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name),
		    AF_STR("sha256", r->sha256_hex));
		alerts_verified(sup_alerts(h->sup), hj->name, it->name, 1,
		    "ok");
		return;
	}
	h->failures++;
	log_warnx("%s: verification of %s failed: %s: %s", hj->name,
	    it->name, check, text);
	maint_audit(h, "artifact-verify-failed", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("check", check),
	    AF_STR("cause", text), AF_INT("code", (int64_t)r->code));
	if (record) {
		snprintf(line, sizeof(line), "%s check: %s", check, text);
		alerts_verified(sup_alerts(h->sup), hj->name, it->name, 0,
		    line);
	}
}

static void
maint_pruned(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	struct stat	 st;
	char		*rel, line[600];
	int		 gone;

	rel = xasprintf("%s/%s", hj->name, it->name);
	gone = fstatat(h->boot->backup_dirfd, rel, &st,
	    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT;
	free(rel);
	if (gone)
		maint_req_item(h, 1, hj, 0, it->name, CAIRN_E_OK, "");
	if (!gone) {
		snprintf(line, sizeof(line), "%s/%s: not removed: %s", hj->name,
		    it->name, r->code == CAIRN_E_OK ? "still there" :
		    r->message);
		maint_req_item(h, 1, hj, 0, it->name, r->code == CAIRN_E_OK ?
		    CAIRN_E_IOERR : r->code, line);
		h->failures++;
		log_warnx("%s: could not remove %s: %s", hj->name, it->name,
		    r->code == CAIRN_E_OK ? "still there" : r->message);
		maint_audit(h, "prune-failed", AF_STR("job", hj->name),
		    AF_STR("file", it->name), AF_STR("error",
		    r->code == CAIRN_E_OK ? "reported removed, still there" :
		    r->message));
		return;
	}
	if (it->what == PRUNE_TEMP) {
		log_info("%s: removed stale %s", hj->name, it->name);
		maint_audit(h, "partial-removed", AF_STR("job", hj->name),
		    AF_STR("file", it->name), AF_STR("reason", it->reason));
		return;
	}
	if (h->boot->catalog != NULL &&
	    catalog_delete(h->boot->catalog, it->id) == -1) {
		log_warnx("catalog: %s/%s: %s", hj->name, it->name,
		    catalog_error(h->boot->catalog));
		sup_catalog_fault(h->boot, catalog_error(h->boot->catalog));
	}
	log_info("%s: pruned %s (%s)", hj->name, it->name, it->reason);
	maint_audit(h, "artifact-pruned", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("reason", it->reason));
}

/* PREFIX JOB/NAME on the remote named remote. */
static void
maint_remote_key(struct maint *h, const char *remote, const char *path,
    char *out, size_t outlen)
{
	const struct s3_conf	*r = conf_s3_find(sup_conf(h->sup), remote);

	snprintf(out, outlen, "%s%s", r != NULL ? r->prefix : "", path);
}

static void
maint_uploaded(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r, unsigned attempt)
{
	struct remote_copy	 rc;
	struct artifact		 a;
	const char		*remote = hj->ujob.upload != NULL ?
				    hj->ujob.upload : "";
	char			 why[300];

	if (r->code == CAIRN_E_OK && (strcmp(r->sha256_hex, it->sha256) != 0 ||
	    r->stored_bytes != it->size)) {
		/* the worker's claim against what the catalog recorded */
		snprintf(why, sizeof(why), "the remote object does not match "
		    "the catalog (size %llu, sha256 %.12s...)",
		    (unsigned long long)r->stored_bytes, r->sha256_hex);
	} else if (r->code != CAIRN_E_OK)
		snprintf(why, sizeof(why), "%s", r->message);
	else {
		memset(&rc, 0, sizeof(rc));
		snprintf(rc.remote, sizeof(rc.remote), "%s", remote);
		snprintf(rc.job, sizeof(rc.job), "%s", hj->name);
		snprintf(rc.path, sizeof(rc.path), "%s/%s", hj->name,
		    it->name);
		maint_remote_key(h, remote, rc.path, rc.key, sizeof(rc.key));
		/* pruned while it went up: the copy outlives the row */
		rc.artifact_id = h->boot->catalog != NULL &&
		    catalog_get(h->boot->catalog, it->id, &a) == 0 ? it->id : 0;
		rc.size = r->stored_bytes;
		snprintf(rc.sha256, sizeof(rc.sha256), "%s", r->sha256_hex);
		snprintf(rc.etag, sizeof(rc.etag), "%.127s", r->message);
		rc.uploaded = rc.verified_at = time(NULL);
		if (h->boot->catalog != NULL &&
		    catalog_remote_add(h->boot->catalog, &rc) == -1)
			log_warnx("catalog: %s: %s", rc.path,
			    catalog_error(h->boot->catalog));
		log_info("%s: uploaded %s to %s as %s", hj->name, it->name,
		    remote, rc.key);
		hj->ustate.last_success = rc.uploaded;
		hj->ustate.bytes += rc.size;
		sup_metrics(h->sup);
		alerts_uploaded(sup_alerts(h->sup), hj->name, it->name, 1,
		    NULL);
		maint_audit(h, "artifact-uploaded", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name), AF_STR("remote", remote),
		    AF_STR("key", rc.key), AF_UINT("bytes", rc.size),
		    AF_STR("etag", rc.etag), AF_STR("sha256", rc.sha256));
		return;
	}
	it->failed = 1;
	h->failures++;
	log_warnx("%s: upload of %s to %s failed: %s", hj->name, it->name,
	    remote, why);
	hj->ustate.failures++;
	sup_metrics(h->sup);
	alerts_uploaded(sup_alerts(h->sup), hj->name, it->name, 0, why);
	maint_audit(h, "upload-failed", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("remote", remote),
	    AF_STR("error", why), AF_INT("code", (int64_t)r->code),
	    AF_UINT("attempt", attempt));
}

/*
 * A remote copy's HEAD: gone or different from the catalog means the copy
 * is lost, so its row goes and the artifact, if still here and good, is
 * uploaded again; a check that could not run changes nothing.
 */
static void
maint_remote_checked(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	const char	*remote = hj->ujob.upload;
	char		 path[600], key[1200];
	int		 lost;

	snprintf(path, sizeof(path), "%s/%s", hj->name, it->name);
	maint_remote_key(h, remote, path, key, sizeof(key));
	if (r->code == CAIRN_E_OK && strcmp(r->sha256_hex, it->sha256) == 0 &&
	    r->stored_bytes == it->size) {
		log_info("%s: remote copy %s on %s: ok", hj->name, key,
		    remote);
		maint_audit(h, "remote-verified", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name), AF_STR("remote", remote),
		    AF_STR("key", key));
		return;
	}
	lost = r->code == CAIRN_E_OK || r->code == CAIRN_E_VERIFY ||
	    r->code == CAIRN_E_NOINPUT;
	h->failures++;
	log_warnx("%s: remote copy %s on %s: %s%s", hj->name, key, remote,
	    r->code == CAIRN_E_OK ? "does not match the catalog" : r->message,
	    lost ? "" : " (not checked)");
	maint_audit(h, "remote-verify-failed", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("remote", remote),
	    AF_STR("key", key), AF_STR("error", r->code == CAIRN_E_OK ?
	    "does not match the catalog" : r->message),
	    AF_INT("code", (int64_t)r->code),
	    AF_STR("action", !lost ? "none" : it->art_id > 0 ? "re-upload" :
	    "forgotten"));
	if (!lost)
		return;
	if (h->boot->catalog != NULL &&
	    catalog_remote_delete(h->boot->catalog, it->id) == -1)
		log_warnx("catalog: %s: %s", path,
		    catalog_error(h->boot->catalog));
	if (it->art_id > 0)
		maint_upload_queue(h, hj, it->art_id);
}

/* Remote retention deleted a copy (or could not): catalog and audit. */
static void
maint_remote_deleted(struct maint *h, struct hjob *hj, struct hitem *it,
    const struct msg_result *r)
{
	const char	*remote = hj->ujob.upload != NULL ?
			    hj->ujob.upload : "";
	char		 path[600], key[1200];

	snprintf(path, sizeof(path), "%s/%s", hj->name, it->name);
	maint_remote_key(h, remote, path, key, sizeof(key));
	if (r->code != CAIRN_E_OK) {
		h->failures++;
		log_warnx("%s: could not delete remote copy %s on %s: %s",
		    hj->name, key, remote, r->message);
		maint_audit(h, "remote-delete-failed", AF_STR("job", hj->name),
		    AF_STR("artifact", it->name), AF_STR("remote", remote),
		    AF_STR("key", key), AF_STR("error", r->message),
		    AF_INT("code", (int64_t)r->code));
		return;
	}
	if (h->boot->catalog != NULL &&
	    catalog_remote_delete(h->boot->catalog, it->id) == -1)
		log_warnx("catalog: %s: %s", path,
		    catalog_error(h->boot->catalog));
	log_info("%s: deleted remote copy %s on %s (%s)", hj->name, key,
	    remote, it->reason);
	maint_audit(h, "remote-deleted", AF_STR("job", hj->name),
	    AF_STR("artifact", it->name), AF_STR("remote", remote),
	    AF_STR("key", key), AF_STR("reason", it->reason));
}

/*
 * The listing found an object the run's items did not name: unless the
 * catalog knows its key after all, it is reported once (log, audit
 * remote-unknown) and left alone.
 */
static void
maint_remote_unknown(struct maint *h, struct hjob *hj,
    const struct msg_result *r)
{
	const char		*remote = hj->ujob.upload != NULL ?
				    hj->ujob.upload : "";
	const struct s3_conf	*rs;
	struct remote_copy	*rc = NULL;
	size_t			 n = 0;
	char			*key;
	int			 known = 0;

	rs = conf_s3_find(sup_conf(h->sup), remote);
	key = xasprintf("%s%s/%s", rs != NULL ? rs->prefix : "", hj->name,
	    r->message);
	for (size_t i = 0; i < hj->nunknown && !known; i++)
		known = strcmp(hj->unknown[i], key) == 0;
	if (!known && h->boot->catalog != NULL &&
	    catalog_remote_list(h->boot->catalog, hj->name, &rc, &n) == 0)
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(rc[i].remote, remote) == 0 &&
			    strcmp(rc[i].key, key) == 0;
	free(rc);
	if (known) {
		free(key);
		return;
	}
	hj->unknown = xreallocarray(hj->unknown, hj->nunknown + 1,
	    sizeof(*hj->unknown));
	hj->unknown[hj->nunknown++] = key;
	hj->ustate.unknown = hj->nunknown;
	log_warnx("%s: %s on %s is not in the catalog (%llu bytes); left "
	    "alone", hj->name, key, remote,
	    (unsigned long long)r->stored_bytes);
	maint_audit(h, "remote-unknown", AF_STR("job", hj->name),
	    AF_STR("remote", remote), AF_STR("key", key),
	    AF_UINT("bytes", r->stored_bytes));
}

int
maint_result(struct maint *h, struct worker *w, const unsigned char *p,
    size_t len)
{
	struct hjob		*hj = maint_job_of(h, w->slot);
	struct msg_result	 r;
	struct hitem		*v;
	size_t			 n;

	if (hj == NULL || frame_decode_result(p, len, &r) == -1)
		return -1;
	for (char *t = r.message; *t != '\0'; t++)	/* untrusted text */
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			*t = '?';
	v = w->slot == hj->vslot ? hj->vfly : w->slot == hj->uslot ?
	    hj->ufly : hj->pfly;
	n = w->slot == hj->vslot ? hj->nvfly : w->slot == hj->uslot ?
	    hj->nufly : hj->npfly;
	if (r.index >= n || v[r.index].answered)
		return -1;
	if (w->slot == hj->uslot && v[r.index].rlist && r.failed == 1) {
		/* one object of the listing; the last RESULT ends it */
		maint_remote_unknown(h, hj, &r);
		return 0;
	}
	v[r.index].answered = 1;
	if (w->slot == hj->uslot && v[r.index].rlist) {
		if (r.code != CAIRN_E_OK)
			log_warnx("%s: listing the remote: %s", hj->name,
			    r.message);
	} else if (w->slot == hj->uslot && v[r.index].rdelete)
		maint_remote_deleted(h, hj, &v[r.index], &r);
	else if (w->slot == hj->uslot && v[r.index].rcheck)
		maint_remote_checked(h, hj, &v[r.index], &r);
	else if (w->slot == hj->uslot)
		maint_uploaded(h, hj, &v[r.index], &r, w->slot->attempt);
	else if (w->slot == hj->vslot)
		maint_verified(h, hj, &v[r.index], &r);
	else
		maint_pruned(h, hj, &v[r.index], &r);
	return 0;
}

/* An item the worker never answered: its requests learn why. */
static void
maint_unanswered(struct maint *h, int prune, struct hjob *hj,
    const struct hitem *it, const struct worker *w, int code)
{
	char	 line[600];

	snprintf(line, sizeof(line), "%s/%s: not %s: worker failed: %s",
	    hj->name, it->name, prune ? "removed" : "verified",
	    w->cause[0] != '\0' ? w->cause : "no answer");
	maint_req_item(h, prune, hj, it->id, it->name,
	    code != CAIRN_E_OK ? code : CAIRN_E_SOFTWARE, line);
}

void
maint_end(struct maint *h, struct worker *w, int code, int64_t art_id)
{
	struct hjob	*hj = maint_job_of(h, w->slot);

	if (hj == NULL) {
		/* a backup run */
		h->dirty = 1;
		if (art_id > 0 && (hj = maint_job(h, w->slot->name)) != NULL &&
		    sup_conf(h->sup)->verify.after_backup)
			maint_verify_queue(h, hj, art_id);
		return;
	}
	if (w->slot == hj->uslot) {
		/* failed or unanswered uploads go back for the retry */
		for (size_t i = 0; i < hj->nufly; i++) {
			/* a deletion not done: the next prune plans it again */
			if (hj->ufly[i].rdelete)
				continue;
			if (hj->ufly[i].rcheck) {
				if (!hj->ufly[i].answered &&
				    w->slot->state == SLOT_BACKOFF)
					hj->rcheck = 1;
				continue;
			}
			if (hj->ufly[i].answered && !hj->ufly[i].failed)
				continue;
			if (w->slot->state == SLOT_BACKOFF)
				maint_upload_queue(h, hj, hj->ufly[i].id);
			else if (!hj->ufly[i].answered) {
				h->failures++;
				hj->ustate.failures++;
				sup_metrics(h->sup);
				alerts_uploaded(sup_alerts(h->sup), hj->name,
				    hj->ufly[i].name, 0, w->cause[0] != '\0' ?
				    w->cause : "worker failed");
				maint_audit(h, "upload-failed",
				    AF_STR("job", hj->name),
				    AF_STR("artifact", hj->ufly[i].name),
				    AF_STR("remote", hj->ujob.upload != NULL ?
				    hj->ujob.upload : ""),
				    AF_STR("error", w->cause[0] != '\0' ?
				    w->cause : "worker failed"),
				    AF_INT("code", code),
				    AF_UINT("attempt", w->slot->attempt));
			}
		}
		free(hj->ufly);
		hj->ufly = NULL;
		hj->nufly = 0;
		/* verified while it ran: never tried yet, whatever the code */
		if ((hj->nupending > 0 || hj->rcheck || hj->nrdel > 0) &&
		    w->slot->state == SLOT_IDLE)
			sup_slot_queue(h->sup, hj->uslot);
	} else if (w->slot == hj->vslot) {
		/* unanswered items go back for the retry, if there is one */
		for (size_t i = 0; i < hj->nvfly; i++)
			if (hj->vfly[i].answered)
				continue;
			else if (w->slot->state == SLOT_BACKOFF)
				maint_verify_queue(h, hj, hj->vfly[i].id);
			else
				maint_unanswered(h, 0, hj, &hj->vfly[i], w,
				    code);
		free(hj->vfly);
		hj->vfly = NULL;
		hj->nvfly = 0;
		h->dirty = 1;
		/* queued while it ran; after a failure, the next trigger */
		if (code == CAIRN_E_OK && hj->npending > 0 &&
		    w->slot->state == SLOT_IDLE)
			sup_slot_queue(h->sup, hj->vslot);
	} else {
		for (size_t i = 0; i < hj->npfly; i++)
			if (!hj->pfly[i].answered)
				maint_unanswered(h, 1, hj, &hj->pfly[i], w,
				    code);
		free(hj->pfly);
		hj->pfly = NULL;
		hj->npfly = 0;
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
