/* schedule.c -- see schedule.h */
#include "config.h"

#include "cairn/cron.h"
#include "cairn/errors.h"

#include "schedule.h"

time_t
sched_next_fire(const struct job_conf *job, time_t now, const char *tz,
    int once)
{
	if (once || job == NULL)
		return -1;
	return cron_next(&job->cron, now, tz);
}

int64_t
sched_backoff_ms(int64_t base_ms, int64_t max_ms, unsigned attempt)
{
	int64_t	 ms = base_ms;

	for (unsigned i = 1; i < attempt && ms < max_ms; i++)
		ms *= 2;
	return ms < max_ms ? ms : max_ms;
}

int
sched_retry(int stopping, int has_job, unsigned attempt, int retries,
    int code)
{
	return !stopping && has_job && (int)attempt <= retries &&
	    code != CAIRN_E_NORESTART && code != CAIRN_E_CONFIG;
}

const char *
sched_skip_reason(enum slot_state st)
{
	switch (st) {
	case SLOT_IDLE:		return NULL;
	case SLOT_RUNNING:	return "running";
	case SLOT_QUEUED:	return "queued";
	default:		return "retrying";
	}
}

int
sched_has_room(int nrunning, int max_workers)
{
	return nrunning < max_workers;
}

struct slot *
sched_pick_next(struct slot *const *slots, size_t n)
{
	struct slot	*next = NULL;

	for (size_t i = 0; i < n; i++)
		if (slots[i]->state == SLOT_QUEUED && slots[i]->job != NULL &&
		    (next == NULL || slots[i]->queued_at < next->queued_at))
			next = slots[i];
	return next;
}
