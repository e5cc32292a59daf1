/*
 * alerts.h -- the alert state machine and its delivery queue (alerts.c);
 * the notifier worker does the sending (job_notify.c).
 *
 * Contract
 *   - Called from the supervisor loop only; alerts_dispatch() handles the
 *     notifier's answers, alerts_timers() staleness and repeats.
 *   - Nothing here blocks but alerts_drain() (bounded, at stop).
 */
#ifndef CAIRN_ALERTS_H
#define CAIRN_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairnd.h"

struct alerts;
struct sup;
struct pollfd;

struct alerts	*alerts_new(struct sup *, struct sup_boot *);
/* Start-up and each reload: the jobs, their staleness, the notifiers. */
void		 alerts_conf(struct alerts *, const struct conf *);
/* daemon_started (then the staleness check) or daemon_stopped. */
void		 alerts_daemon(struct alerts *, int started, const char *why);
/* A run ended; final: no retry follows.  House slots are ignored. */
void		 alerts_run_end(struct alerts *, const struct slot *,
		    const struct worker *, int code, unsigned attempt,
		    int final, int64_t art_id);
/* A verification's outcome (maint.c). */
void		 alerts_verified(struct alerts *, const char *job,
		    const char *artifact, int ok, const char *why);
/* An upload of ARTIFACT ended: ok, or failed with why (a retry may follow). */
void		 alerts_uploaded(struct alerts *, const char *job,
		    const char *artifact, int ok, const char *why);
/* Staleness and repeats; alerts_wait_ms(): ms until due, -1 never. */
void		 alerts_timers(struct alerts *);
int64_t		 alerts_wait_ms(struct alerts *);
/* The notifier worker's socket in the poll set, and its answers. */
size_t		 alerts_pollfds(struct alerts *, struct pollfd *, size_t max);
void		 alerts_dispatch(struct alerts *, const struct pollfd *,
		    size_t n);
/* 1 if pid was the notifier worker (then it is restarted later). */
int		 alerts_reap(struct alerts *, pid_t, int status);
/* cairnctl notify test: fn(arg, ok, notifier, result) once delivered. */
typedef void	(*alerts_test_fn)(void *arg, int ok, const char *notifier,
		    const char *result);
int		 alerts_test(struct alerts *, const char *name, alerts_test_fn,
		    void *arg, char *err, size_t errlen);
void		 alerts_test_cancel(struct alerts *);
/* The job's open problems, "stale verify_failed", or "" (status, health). */
void		 alerts_job_problems(struct alerts *, const char *job,
		    char *buf, size_t len, uint64_t *verify_failures);
/* At stop: delivers what is queued for up to 10 s, drops the rest. */
void		 alerts_drain(struct alerts *);
void		 alerts_free(struct alerts *);

#endif /* CAIRN_ALERTS_H */
