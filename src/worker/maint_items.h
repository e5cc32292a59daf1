/*
 * maint_items.h -- a maint worker's item list: what the supervisor sent
 * (ITEM frames, with TABLES for a verify) and the RESULT frame per item.
 *
 * Contract
 *   - The items are the supervisor's word (checked names, catalog rows);
 *     the worker touches nothing else.
 *   - maint_items_free() releases what maint_items_read() filled.
 */
#ifndef CAIRN_MAINT_ITEMS_H
#define CAIRN_MAINT_ITEMS_H

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
/* One RESULT frame through send. */
void	maint_send_result(maint_send_fn, const struct msg_result *);
/* A progress report: item done of total, what names it. */
void	maint_tick(const struct job_env *, const char *what, uint64_t done,
	    uint64_t total);

#endif /* CAIRN_MAINT_ITEMS_H */
