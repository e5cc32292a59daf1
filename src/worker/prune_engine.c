/*
 * prune_engine.c -- the prune worker's engine: removes the files the
 * supervisor's plan named, in the job folder only, and answers each.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "prune_engine.h"

/* -- prune ------------------------------------------------------------- */

int
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
