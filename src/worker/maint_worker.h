/*
 * maint_worker.h -- a verify, prune or upload worker's side (src/worker):
 * the engine that works through the items (maint_items.h), one RESULT
 * frame each.
 *
 * Contract
 *   - The items are the supervisor's word (checked names, catalog rows);
 *     the worker touches nothing else.
 */
#ifndef CAIRN_MAINT_WORKER_H
#define CAIRN_MAINT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/frame.h"
#include "engine.h"
#include "maint_items.h"

/* Verifies or removes every item, one RESULT each; a CAIRN_E_* code. */
int	maint_worker_run(const struct frame_job *, const struct job_env *,
	    const struct maint_items *, maint_send_fn, struct job_result *);

#endif /* CAIRN_MAINT_WORKER_H */
