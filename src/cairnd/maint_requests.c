/*
 * maint_requests.c -- cairnctl verify and prune on the supervisor's side
 * (split from maint.c): the request a ticket waits on, its keys ticked off
 * as items are answered, and the verify queue those requests and the
 * start-up scan feed (maint_int.h, docs/verify-and-prune.md).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/catalog.h"
#include "cairn/errors.h"
#include "cairn/util.h"
#include "maint_int.h"

/* -- cairnctl requests ------------------------------------------------ */

void
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
void
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

struct hreq *
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
void
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
void
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
void
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
