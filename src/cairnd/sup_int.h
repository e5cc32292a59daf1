/*
 * sup_int.h -- private to the supervisor loop's files (sup.c, slots.c,
 * spawn.c, outcome.c, reload.c, fault.c): struct sup and the calls they
 * make to one another.  Nothing outside those six includes it; the rest of
 * cairnd sees the supervisor through sup_api.h.
 *
 * Contract
 *   - Only these files change a struct sup once sup_run() starts.
 *   - Every function here runs on the loop's thread (there is no other).
 */
#ifndef CAIRN_SUP_INT_H
#define CAIRN_SUP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cairnd.h"
#include "alerts.h"
#include "cairn/worker.h"
#include "ctl_ops.h"
#include "maint.h"
#include "sup_api.h"

struct sup {
	const char	*conf_path;
	struct conf_ref	*cur;
	struct sup_boot	*boot;
	int		 once;

	struct slot	**slots;
	size_t		 nslots;
	uint64_t	 queue_ticket;
	int		 nrunning;
	int		 max_seen;	/* most workers at once */
	uint32_t	 next_gen;

	int		 sigfd;
	int		 stopping;
	int64_t		 stop_deadline;
	int64_t		 watchdog_ms;	/* 0: no watchdog */
	int64_t		 watchdog_next;
	int64_t		 retry_base_ms;
	int		 failed_runs;	/* -o: runs that finally failed */
	struct maint	*maint;		/* verify and prune (maint.c) */
	struct sup_ctl	*ctl;		/* control socket, metrics (ctl_ops.c) */
	struct alerts	*alerts;	/* alert state and delivery (alerts.c) */
};


/*
 * The audit trail is the record operators and tests rely on: a failed
 * write is logged, never fatal (the backups matter more than the record).
 */
#define sup_audit(s, ev, ...) do {					\
	if ((s)->boot->audit != NULL &&					\
	    audit_write((s)->boot->audit, (ev), __VA_ARGS__) == -1)	\
		log_warn("audit %s", (ev));				\
} while (0)

/* sup.c: helpers, systemd status, failing a worker, its frames */
int64_t		 now_ms(void);
const char	*sig_name(int sig);
void		 conf_ref_drop(struct conf_ref *);
void		 sup_status(struct sup *);
void		 sup_worker_fail(struct worker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 sup_worker_input(struct sup *, struct worker *);

/* fault.c: the CAIRN_FAULT mode for a job's attempt (FAULT_NONE: none) */
uint32_t	 sup_fault_for(const char *job, unsigned attempt);

/* slots.c: the slot table */
void		 sup_slot_schedule(struct sup *, struct slot *, time_t now);
void		 sup_enqueue(struct sup *, struct slot *);
void		 sup_slots_sync(struct sup *, time_t now, int starting);

/* spawn.c: starting a slot's worker */
bool		 sup_secret_held(const char *path, void *arg);
int		 sup_kill_grace_ms(const struct conf *);
void		 sup_spawn(struct sup *, struct slot *);

/* outcome.c: the end of a run */
void		 sup_worker_end(struct sup *, struct worker *);
void		 sup_reap(struct sup *);

/* reload.c */
void		 sup_audit_reopen(struct sup *);

#endif /* CAIRN_SUP_INT_H */
