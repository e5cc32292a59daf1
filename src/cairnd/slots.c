/*
 * slots.c -- the slot table: one slot per job (and per maint.c verify and
 * prune slot), kept across reloads; the accessors maint.c and ctl_ops.c
 * use (sup_api.h).
 */
#include "config.h"


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/audit.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "schedule.h"
#include "sup_int.h"

/* -- slots ------------------------------------------------------------- */

static struct slot *
sup_slot_find(struct sup *s, const char *name)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (!s->slots[i]->maint && strcmp(s->slots[i]->name, name) == 0)
			return s->slots[i];
	return NULL;
}

void
sup_slot_schedule(struct sup *s, struct slot *sl, time_t now)
{
	sl->next_fire = sched_next_fire(sl->job, now, s->cur->conf->timezone,
	    s->once);
}

void
sup_enqueue(struct sup *s, struct slot *sl)
{
	sl->state = SLOT_QUEUED;
	sl->queued_at = ++s->queue_ticket;
}

/*
 * Build the slot table for a conf: known jobs keep their slot (and any
 * running worker), new ones get a slot, vanished ones lose their job and
 * are dropped once idle.
 */
void
sup_slots_sync(struct sup *s, time_t now, int starting)
{
	const struct conf	*c = s->cur->conf;
	struct slot		*sl;
	size_t			 i, j;

	for (i = 0; i < s->nslots; i++)
		if (!s->slots[i]->maint)
			s->slots[i]->job = NULL;
	for (i = 0; i < c->njobs; i++) {
		if ((sl = sup_slot_find(s, c->jobs[i].name)) == NULL) {
			sl = xcalloc(1, sizeof(*sl));
			sl->name = xstrdup(c->jobs[i].name);
			sl->last_code = -1;
			s->slots = xreallocarray(s->slots, s->nslots + 1,
			    sizeof(*s->slots));
			s->slots[s->nslots++] = sl;
			sl->job = &c->jobs[i];
			/* a job new to a reload starts like one at start-up */
			if (s->once || sl->job->run_at_start) {
				sup_audit(s, "job-scheduled",
				    AF_STR("job", sl->name),
				    AF_STR("reason", s->once ? "once" :
				    starting ? "run_at_start" : "new job"));
				sup_enqueue(s, sl);
			}
		}
		sl->job = &c->jobs[i];
		sup_slot_schedule(s, sl, now);
	}
	/* drop idle slots whose job is gone; keep config order otherwise */
	for (i = j = 0; i < s->nslots; i++) {
		sl = s->slots[i];
		if (sl->job == NULL && sl->state != SLOT_RUNNING) {
			free(sl->name);
			free(sl);
			continue;
		}
		if (sl->job == NULL)
			sl->next_fire = -1;
		s->slots[j++] = sl;
	}
	s->nslots = j;
	if (s->maint != NULL)
		maint_conf(s->maint, c, now);
	if (s->alerts != NULL)
		alerts_conf(s->alerts, c);
}

/* -- maint.c's view of the slots --------------------------------------- */

struct slot *
sup_slot_add(struct sup *s, const char *name, const struct job_conf *job)
{
	struct slot	*sl = xcalloc(1, sizeof(*sl));

	sl->name = xstrdup(name);
	sl->job = job;
	sl->maint = 1;
	sl->last_code = -1;
	sl->next_fire = -1;
	sl->done_once = 1;	/* -o waits for it only once it is queued */
	s->slots = xreallocarray(s->slots, s->nslots + 1, sizeof(*s->slots));
	s->slots[s->nslots++] = sl;
	return sl;
}

void
sup_slot_queue(struct sup *s, struct slot *sl)
{
	if (!s->stopping && sl->state == SLOT_IDLE)
		sup_enqueue(s, sl);
}

struct slot *const *
sup_slot_list(struct sup *s, size_t *n)
{
	*n = s->nslots;
	return s->slots;
}

const struct conf *
sup_conf(struct sup *s)
{
	return s->cur->conf;
}

/* -- ctl_ops.c's view -------------------------------------------------- */

int
sup_running(const struct sup *s)
{
	return s->nrunning;
}

int
sup_stopping(const struct sup *s)
{
	return s->stopping;
}

struct sup_boot *
sup_boot(struct sup *s)
{
	return s->boot;
}

struct alerts *
sup_alerts(struct sup *s)
{
	return s->alerts;
}

struct maint *
sup_maint(struct sup *s)
{
	return s->maint;
}

void
sup_metrics(struct sup *s)
{
	sup_ctl_metrics(s->ctl);
}
