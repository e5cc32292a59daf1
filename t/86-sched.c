/* t/86-sched.c -- the supervisor's scheduling decisions (schedule.h) alone */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cairn/cron.h"
#include "cairn/errors.h"
#include "schedule.h"
#include "tap.h"

static void
test_backoff(void)
{
	const int64_t	 max = 15 * 60 * 1000;

	is_int(sched_backoff_ms(100, max, 1), 100, "first retry waits base");
	is_int(sched_backoff_ms(100, max, 2), 200, "second waits twice that");
	is_int(sched_backoff_ms(100, max, 3), 400, "third, four times");
	is_int(sched_backoff_ms(100, max, 0), 100, "attempt 0 is as 1");
	is_int(sched_backoff_ms(100, max, 20), max, "capped at the maximum");
	is_int(sched_backoff_ms(100, max, 4000000000U), max,
	    "a huge attempt stays capped (no overflow)");
	is_int(sched_backoff_ms(max * 2, max, 1), max,
	    "a base over the maximum is capped too");
}

static void
test_retry(void)
{
	ok(sched_retry(0, 1, 1, 2, CAIRN_E_TEMPFAIL) == 1,
	    "attempt 1 of 1+2 is retried");
	ok(sched_retry(0, 1, 2, 2, CAIRN_E_TEMPFAIL) == 1,
	    "attempt 2 of 1+2 is retried");
	ok(sched_retry(0, 1, 3, 2, CAIRN_E_TEMPFAIL) == 0,
	    "attempt 3 of 1+2 is the last");
	ok(sched_retry(0, 1, 1, 0, CAIRN_E_TEMPFAIL) == 0,
	    "retries = 0: never retried");
	ok(sched_retry(1, 1, 1, 2, CAIRN_E_TEMPFAIL) == 0,
	    "not while stopping");
	ok(sched_retry(0, 0, 1, 2, CAIRN_E_TEMPFAIL) == 0,
	    "not once the job left the config");
	ok(sched_retry(0, 1, 1, 2, CAIRN_E_NORESTART) == 0,
	    "not after a no-restart code");
	ok(sched_retry(0, 1, 1, 2, CAIRN_E_CONFIG) == 0,
	    "not after a config error");
}

static void
test_due(void)
{
	ok(sched_skip_reason(SLOT_IDLE) == NULL, "an idle job is queued");
	is_str(sched_skip_reason(SLOT_RUNNING), "running",
	    "a running one is skipped: running");
	is_str(sched_skip_reason(SLOT_QUEUED), "queued",
	    "a queued one is skipped: queued");
	is_str(sched_skip_reason(SLOT_BACKOFF), "retrying",
	    "one waiting to retry is skipped: retrying");
	ok(sched_has_room(0, 2) && sched_has_room(1, 2),
	    "room below max_workers");
	ok(!sched_has_room(2, 2) && !sched_has_room(3, 2),
	    "no room at or over max_workers");
}

static void
test_pick(void)
{
	struct job_conf	 job;
	struct slot	 a, b, c, d;
	struct slot	*v[4] = { &a, &b, &c, &d };

	memset(&job, 0, sizeof(job));
	memset(&a, 0, sizeof(a));
	b = c = d = a;
	a.job = b.job = c.job = d.job = &job;
	a.state = SLOT_IDLE;
	b.state = SLOT_QUEUED;
	b.queued_at = 7;
	c.state = SLOT_QUEUED;
	c.queued_at = 3;
	d.state = SLOT_RUNNING;
	d.queued_at = 1;
	ok(sched_pick_next(v, 4) == &c, "the queued slot waiting longest");
	c.job = NULL;
	ok(sched_pick_next(v, 4) == &b, "a slot whose job is gone is passed");
	b.state = SLOT_BACKOFF;
	ok(sched_pick_next(v, 4) == NULL, "none queued: none");
	ok(sched_pick_next(v, 0) == NULL, "no slots: none");
}

static void
test_fire(void)
{
	struct job_conf	 job;
	char		 err[128];
	time_t		 now = 1700000000;	/* 2023-11-14 22:13:20 UTC */

	memset(&job, 0, sizeof(job));
	if (cron_parse(&job.cron, "0 3 * * *", err, sizeof(err)) == -1)
		bail("cron_parse: %s", err);
	is_int(sched_next_fire(&job, now, "UTC", 0), 1700017200,
	    "daily at 03:00 UTC: the next morning");
	is_int(sched_next_fire(&job, 1700017200, "UTC", 0),
	    1700017200 + 86400, "strictly after: at 03:00, the day after");
	is_int(sched_next_fire(&job, now, "UTC", 1), -1, "-o: never by cron");
	is_int(sched_next_fire(NULL, now, "UTC", 0), -1, "no job: never");
}

int
main(void)
{
	plan(29);
	test_backoff();
	test_retry();
	test_due();
	test_pick();
	test_fire();
	return tap_exit();
}
