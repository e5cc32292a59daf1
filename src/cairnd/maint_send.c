/*
 * maint_send.c -- what a new verify, prune or upload worker is sent (split
 * from maint.c): its ITEM, TABLES and END frames, built from the queues of
 * maint_int.h and remembered as the items in flight.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/catalog.h"
#include "cairn/chan.h"
#include "cairn/errors.h"
#include "cairn/frame.h"
#include "cairn/util.h"
#include "maint_int.h"

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
