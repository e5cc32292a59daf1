/*
 * maint_upload.c -- off-site copies, queueing side (split from maint.c):
 * the upload slot of a job that names a remote, the catalog ids queued for
 * upload and the remote checks asked for (maint_int.h, docs/offsite.md).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cairn/catalog.h"
#include "cairn/util.h"
#include "maint_int.h"

/* -- upload: queueing -------------------------------------------------- */

void
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
int
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
void
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
void
maint_remote_queue(struct maint *h, struct hjob *hj)
{
	if (hj->uslot == NULL || hj->ujob.upload == NULL)
		return;
	hj->rcheck = 1;
	if (hj->uslot->state == SLOT_IDLE)
		sup_slot_queue(h->sup, hj->uslot);
}

/* At start-up: verified artifacts without a copy on their job's remote. */
void
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
