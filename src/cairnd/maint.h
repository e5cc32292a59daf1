/*
 * maint.h -- the supervisor's side of verification, pruning and uploads
 * (maint.c): the verify, prune and upload slots, the work items it hands
 * their workers, the results it records; cairnctl verify and prune.
 *
 * Contract
 *   - Loop thread only; a maint slot's worker gets its items through
 *     maint_spawned() and answers with RESULT frames (maint_result()).
 *   - Nothing in a backup folder is removed but by a prune worker, on a
 *     plan made from the catalog (docs/verify-and-prune.md).
 */
#ifndef CAIRN_MAINT_H
#define CAIRN_MAINT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cairnd.h"

struct sup;
struct maint;

struct maint	*maint_new(struct sup *, struct sup_boot *, int once);
void		 maint_free(struct maint *);
/* After start-up and each reload: one verify and one prune slot per job. */
void		 maint_conf(struct maint *, const struct conf *, time_t now);
/* Queues ITEM, TABLES and END on a new verify/prune worker's channel. */
void		 maint_spawned(struct maint *, struct worker *);
/* A RESULT frame; -1 if it is a protocol violation. */
int		 maint_result(struct maint *, struct worker *,
		    const unsigned char *, size_t);
/* Any run ended (art_id: the artifact a backup run recorded, or 0). */
void		 maint_end(struct maint *, struct worker *, int code,
		    int64_t art_id);
void		 maint_timers(struct maint *, time_t now);
/* Milliseconds until maint_timers() has something to do. */
int64_t		 maint_wait_ms(struct maint *, int64_t wall_ms);
/* Verifications and removals that failed (-o exits non-zero). */
int		 maint_failures(const struct maint *);
/* Why the last prune plan held this job ("" if it did not, or no plan). */
const char	*maint_prune_hold(const struct maint *, const char *job);
/* Off-site copies of a job since cairnd started; 0 when it uploads none. */
struct maint_upload {
	time_t		 last_success;	/* 0: none yet */
	uint64_t	 failures;	/* failed attempts */
	uint64_t	 bytes;		/* uploaded */
	uint64_t	 unknown;	/* objects found that the catalog lacks */
	bool		 running;	/* an upload worker runs now */
	struct job_progress progress;	/* its last heartbeat's */
};
int		 maint_upload_state(const struct maint *, const char *job,
		    struct maint_upload *);
struct prune_plan;
/*
 * cairnctl verify and prune: work queued on request.  Each returns a
 * CAIRN_E_* code (err set on failure) and *queued, the items queued; when
 * that is non-zero, fn(arg, ticket, worst code, one-line summary) is
 * called exactly once, when the last of them is in (or by
 * maint_requests_cancel()).  what: NULL for every artifact, a job name
 * for its artifacts, "JOB/NAME" or a file name for one (unknown:
 * CAIRN_E_USAGE).  A held prune plan is CAIRN_E_UNAVAILABLE.
 */
typedef void	(*maint_done_fn)(void *arg, uint64_t ticket, int code,
		    const char *summary);
int		 maint_verify_request(struct maint *, const char *what,
		    uint64_t ticket, maint_done_fn, void *arg,
		    size_t *queued, char *err, size_t errlen);
int		 maint_prune_request(struct maint *, uint64_t ticket,
		    maint_done_fn, void *arg, size_t *queued, size_t *kept,
		    char *err, size_t errlen);
/* Answers every request still waiting with CAIRN_E_UNAVAILABLE and why. */
void		 maint_requests_cancel(struct maint *, const char *why);
/* What a prune now would do, deleting nothing (cairnctl prune --dry-run). */
int		 maint_prune_dry_run(struct maint *, struct prune_plan *,
		    char *err, size_t errlen);
/* What remote retention would delete now (prune_remote.h). */
struct remote_plan;
int		 maint_remote_dry_run(struct maint *, struct remote_plan *,
		    char *err, size_t errlen);

#endif /* CAIRN_MAINT_H */
