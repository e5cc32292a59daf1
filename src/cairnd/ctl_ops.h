/*
 * ctl_ops.h -- the supervisor's control socket and metrics file
 * (ctl_ops.c, over ctl_server.c and metrics.c).
 *
 * Contract
 *   - sup_ctl_open() runs at start-up as root; everything else on the
 *     loop's thread once sup_ctl_attach() handed it the supervisor.
 */
#ifndef CAIRN_CTL_OPS_H
#define CAIRN_CTL_OPS_H

#include <stddef.h>
#include <sys/types.h>

#include "cairnd.h"

struct audit;
struct pollfd;
struct sup;
struct sup_ctl;

/*
 * Start-up, as root: creates the socket's folder when missing (0750, the
 * daemon's user and the socket group) and listens (ctl_listen()).  Returns
 * new (sup_ctl_free()), or NULL with the cause in err.
 */
struct sup_ctl	*sup_ctl_open(const struct conf *, uid_t uid, struct audit *,
		    char *err, size_t errlen);
/* The loop takes it over (ctl NULL: no socket, metrics only). */
struct sup_ctl	*sup_ctl_attach(struct sup_ctl *, struct sup *);
/* Answers what is still waiting, closes the socket, frees. */
void		 sup_ctl_free(struct sup_ctl *);
/* The poll entries (after the workers') and their dispatch. */
size_t		 sup_ctl_pollfds(struct sup_ctl *, struct pollfd *, size_t);
void		 sup_ctl_dispatch(struct sup_ctl *, const struct pollfd *,
		    size_t);
/* Milliseconds until the control socket has a deadline; -1 none. */
int		 sup_ctl_wait_ms(struct sup_ctl *);
/* Each turn: runs a ticket waits for that will not happen (cancelled). */
void		 sup_ctl_sweep(struct sup_ctl *);
/* A run ended (a backup or maint slot); attempt: the one that ended. */
void		 sup_ctl_run_end(struct sup_ctl *, struct slot *,
		    const struct worker *, int code, unsigned attempt);
/* Rewrites the metrics file (start-up, reload, after a run). */
void		 sup_ctl_metrics(struct sup_ctl *);

#endif /* CAIRN_CTL_OPS_H */
