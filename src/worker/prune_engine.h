/*
 * prune_engine.h -- the prune worker's engine (prune_engine.c).
 *
 * Contract
 *   - Removes exactly the ITEM_UNLINK items' names from env->dirfd, each
 *     answered with one RESULT (removed, already gone, or why not), then
 *     fsyncs the folder; never a name it was not sent.  A CAIRN_E_* code.
 */
#ifndef CAIRN_PRUNE_ENGINE_H
#define CAIRN_PRUNE_ENGINE_H

#include "engine.h"
#include "maint_items.h"

int	maint_prune(const struct job_env *, const struct maint_items *,
	    maint_send_fn, struct job_result *);

#endif /* CAIRN_PRUNE_ENGINE_H */
