/*
 * retention -- decide which artifacts the prune job deletes, and which
 * leftovers of crashed runs it removes.
 *
 * Contract
 *   - retention_plan() is a pure function: no I/O, no clock, no allocation
 *     that outlives the call.  The caller (the supervisor, from the catalog
 *     and a directory listing) fills one retention_item per artifact, of any
 *     number of jobs; the planner groups them by job and writes a decision
 *     and a reason into each item.  The prune worker then deletes exactly the
 *     items with keep == false, and nothing else.
 *   - Rules, per job (docs/verify-and-prune.md has the full text):
 *       an artifact younger than `days` is kept ("within 7 days");
 *       the newest `keep_min` verified artifacts are kept ("keep_min");
 *       the newest verified artifact is kept whatever its age
 *       ("newest verified");
 *       keep_daily/weekly/monthly = N keep the newest verified artifact of
 *       each of the last N UTC days / ISO weeks / months that have a
 *       verified artifact, each rule counting on its own like restic's
 *       `forget --keep-*` ("daily 2026-11-20", "weekly 2026-W47",
 *       "monthly 2026-11");
 *       an artifact whose time is unknown is kept ("unknown time");
 *       everything else is deleted ("expired").
 *   - Clock sanity: if `now` is before RETENTION_EPOCH_MIN the whole plan
 *     holds: nothing is deleted, plan->hold is set and plan->warning says
 *     why.  If an artifact of a job is dated more than `future_tolerance`
 *     seconds after `now` (and did not fail verification: a planted or
 *     damaged file says nothing about the clock), that job holds: all its
 *     artifacts are kept ("hold: clock looks wrong"), the item gets
 *     `future`, plan->nheld_clock counts the job and plan->warning names
 *     the file; other jobs are planned normally.  If the rules would delete
 *     every artifact of a job, that
 *     job's artifacts are all kept ("hold: would delete all") and a warning
 *     is set; the other jobs are planned normally.
 *   - Errors: -1 with errno EINVAL for a NULL item name or negative counts.
 *   - Borrows everything; item->name and item->job must outlive the call.
 */
#ifndef CAIRN_RETENTION_H
#define CAIRN_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cairn/conf.h"

/* 2020-01-01T00:00:00Z: a clock before this is wrong. */
#define RETENTION_EPOCH_MIN		((time_t)1577836800)
/* An artifact dated this far after now means the clock went back. */
#define RETENTION_FUTURE_TOLERANCE	300
/* Leftover temp files younger than this are left alone (seconds). */
#define RETENTION_STALE_AGE		3600

/* Name prefix of the verifier's temporary copies (".cairn-verify.XXXXXX"). */
#define RETENTION_VERIFY_TMP_PREFIX	".cairn-verify."
/* Suffix of a snapshot engine's temporary file. */
#define RETENTION_SNAPSHOT_TMP_SUFFIX	".snapshot.tmp"

enum retention_verify {
	RETENTION_UNVERIFIED,
	RETENTION_VERIFIED,		/* the last verification passed */
	RETENTION_FAILED,		/* the last verification failed */
	RETENTION_VERIFY_MAX,
};

struct retention_item {
	/* in */
	const char		*name;	/* file name; borrows */
	const char		*job;	/* NULL: parsed from the name */
	time_t			 time;	/* (time_t)-1: parsed from the name */
	enum retention_verify	 verify;
	/* out */
	bool			 keep;
	char			 reason[48];
	char			 job_parsed[128]; /* the job name used */
	bool			 future;	/* its date held the job */
};

struct retention_plan {
	bool		 hold;		/* clock looks wrong: nothing deleted */
	size_t		 nkeep;
	size_t		 ndelete;
	size_t		 nheld_jobs;	/* jobs kept whole by the all-deleted rule */
	size_t		 nheld_clock;	/* jobs held by a future-dated artifact */
	char		 warning[256];	/* "" when none */
};

struct retention_opts {
	int		 future_tolerance;	/* 0: RETENTION_FUTURE_TOLERANCE */
	time_t		 epoch_min;		/* 0: RETENTION_EPOCH_MIN */
};

/*
 * Plan every item (items of several jobs may be mixed, in any order).
 * opts may be NULL.  Returns 0 (plan filled; check plan->warning) or -1
 * with errno set.
 */
int	 retention_plan(struct retention_item *items, size_t n, time_t now,
	    const struct retention_conf *, const struct retention_opts *,
	    struct retention_plan *plan);

/*
 * Parse "JOB_backup_YYYYMMDD_HHMMSS.EXT" (the last "_backup_" wins, so a
 * job name may contain it).  Fills job (if not NULL) and *t (UTC).
 * Returns 0, or -1 with errno EINVAL if the name does not match.
 */
int	 retention_parse_name(const char *name, char *job, size_t joblen,
	    time_t *t);

/* A directory entry for retention_stale(). */
struct retention_dirent {
	const char	*name;		/* borrows */
	time_t		 mtime;
	bool		 remove;	/* out */
};

/* Is this the name of a temporary file of a writer, snapshot or verify? */
bool	 retention_is_temp(const char *name);

/*
 * Mark for removal the temporary files (retention_is_temp()) whose mtime
 * is at least min_age seconds before now (0: RETENTION_STALE_AGE) and that
 * are not in in_use (the names a running worker of this folder holds;
 * a partial file ".X.partial" is also in use when "X" is listed).  An mtime
 * in the future is never stale.  Returns the number marked.
 */
size_t	 retention_stale(struct retention_dirent *ents, size_t n, time_t now,
	    int min_age, const char *const *in_use, size_t nin_use);

#endif /* CAIRN_RETENTION_H */
