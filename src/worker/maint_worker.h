/*
 * maint_worker.h -- a verify, prune or upload worker's side (src/worker):
 * the ITEM (+TABLES) frames it reads up to END and the engine that works
 * through them, one RESULT frame each.
 *
 * Contract
 *   - The items are the supervisor's word (checked names, catalog rows);
 *     the worker touches nothing else.
 *   - maint_items_free() releases what maint_items_read() filled.
 */
#ifndef CAIRN_MAINT_WORKER_H
#define CAIRN_MAINT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/chan.h"
#include "cairn/frame.h"
#include "engine.h"

struct maint_item {
	struct msg_item	 m;
	struct table_stat *tables;	/* owns; m.ntables entries */
	size_t		 ntables;	/* received so far */
};

struct maint_items {
	struct maint_item *v;		/* owns */
	size_t		 n;
};

typedef void	(*maint_send_fn)(enum frame_type, const void *, size_t);

/* Reads ITEM (+TABLES) frames up to END.  0, or -1 with err. */
int	maint_items_read(struct chan *, uint32_t gen, struct maint_items *,
	    char *err, size_t errlen);
void	maint_items_free(struct maint_items *);
/* Verifies or removes every item, one RESULT each; a CAIRN_E_* code. */
int	maint_worker_run(const struct frame_job *, const struct job_env *,
	    const struct maint_items *, maint_send_fn, struct job_result *);

#endif /* CAIRN_MAINT_WORKER_H */
