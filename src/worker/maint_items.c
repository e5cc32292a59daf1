/*
 * maint_items.c -- a verify, prune or upload worker's side of its item
 * list: the ITEM (+TABLES) frames read up to END, one RESULT frame sent
 * per item, progress ticks while the engine works through them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/chan.h"
#include "cairn/frame.h"
#include "cairn/util.h"
#include "maint_items.h"

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

void
maint_send_result(maint_send_fn send, const struct msg_result *r)
{
	unsigned char	 buf[512];
	ssize_t		 n;

	if ((n = frame_encode_result(buf, sizeof(buf), r)) > 0)
		send(MSG_RESULT, buf, (size_t)n);
}

void
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
