/*
 * schedule -- the supervisor's scheduling decisions, as pure functions: when a
 * job fires next, how long a failed run waits, whether it is retried,
 * whether a due job starts or is skipped, whether there is room for one
 * more worker, and which queued job goes first.
 *
 * Contract
 *   - No I/O, no clock, no globals: every input is an argument, so each
 *     decision is unit-tested (t/86-sched.t) apart from the event loop.
 *   - sup.c applies the decisions (state changes, audit events, spawning).
 *   - Nothing is allocated; slots are borrowed.
 */
#ifndef CAIRND_SCHEDULE_H
#define CAIRND_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cairnd.h"

/* The next cron fire strictly after now; -1 for none (-o, or no job). */
time_t	 sched_next_fire(const struct job_conf *, time_t now, const char *tz,
	    int once);
/* Delay before retry number attempt+1: base, doubling, capped at max. */
int64_t	 sched_backoff_ms(int64_t base_ms, int64_t max_ms, unsigned attempt);
/* 1 when a run that ended with code after attempt tries is retried. */
int	 sched_retry(int stopping, int has_job, unsigned attempt, int retries,
	    int code);
/* A job came due in this state: NULL to queue it, else why it is skipped
 * ("running", "queued", "retrying"). */
const char *sched_skip_reason(enum slot_state);
/* 1 when one more worker may start. */
int	 sched_has_room(int nrunning, int max_workers);
/* The queued slot with a job that waited longest; NULL when none. */
struct slot *sched_pick_next(struct slot *const *, size_t);

#endif /* CAIRND_SCHEDULE_H */
