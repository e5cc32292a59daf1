/*
 * sup_api.h -- the supervisor as the rest of cairnd sees it: the calls
 * maint.c, alerts.c and ctl_ops.c make into the loop (implemented in
 * slots.c, spawn.c, reload.c and ctl_ops.c).  They include this, not the
 * loop's private sup_int.h, so none of them depends on the others through
 * the supervisor.
 *
 * Contract
 *   - Loop thread only.  The slots and boot returned are the supervisor's:
 *     borrowed, valid until the next turn of the loop (a reload may drop a
 *     slot whose job is gone).
 */
#ifndef CAIRN_SUP_API_H
#define CAIRN_SUP_API_H

#include <stddef.h>
#include <sys/types.h>

#include "cairnd.h"

struct alerts;
struct maint;
struct sup;

/* reload.c: SIGHUP's reload, for cairnctl reload */
int		 sup_reload(struct sup *, char *err, size_t errlen);
/* slots.c, for ctl_ops.c and alerts.c */
int		 sup_running(const struct sup *);
int		 sup_stopping(const struct sup *);
struct sup_boot	*sup_boot(struct sup *);
struct maint	*sup_maint(struct sup *);
struct alerts	*sup_alerts(struct sup *);
/* Rewrites the metrics file now (a state it shows has changed). */
void		 sup_metrics(struct sup *);

/* spawn.c: starts "cairnd FLAG" on a fresh channel (its end: *chanp). */
pid_t		 sup_fork_worker(int socktype, const char *flag, int *chanp);

/* slots.c, for maint.c: slots it adds, queues and looks at */
struct slot	*sup_slot_add(struct sup *, const char *name,
		    const struct job_conf *);
void		 sup_slot_queue(struct sup *, struct slot *);
struct slot	*const *sup_slot_list(struct sup *, size_t *n);
const struct conf *sup_conf(struct sup *);

/*
 * ctl_ops.c, for start-up, outcome.c and maint.c.
 * The catalog failed (what: the failed write and its error) or is to be
 * checked (what NULL, at start-up): runs catalog_check(); a catalog that
 * is damaged, read-only or could not be written is noted in
 * b->catalog_problem with the count of artifact files it does not know,
 * logged and audited (catalog-damaged) once per cause.  health fails and
 * status says why until cairnd restarts on a sound catalog.  A busy
 * database (EBUSY) is only logged.
 */
void		 sup_catalog_fault(struct sup_boot *, const char *what);

#endif /* CAIRN_SUP_API_H */
