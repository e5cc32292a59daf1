/*
 * prune_remote -- plan remote retention: which off-site copies (catalog
 * remote_copies rows) the upload worker deletes (docs/offsite.md).
 *
 * Contract
 *   - remote_plan_build() reads the catalog only.  For every configured
 *     job whose `upload` names an s3 section with retention (days > 0), it
 *     runs that job's copies on that remote through retention_plan() with
 *     the section's days and keep_min: the same rules as local retention
 *     (never the newest verified copy, keep_min kept, an unknown time
 *     kept, a clock before 2020 or a copy dated in the future holds, and
 *     a plan that would delete every copy keeps them all).  A row in
 *     remote_copies exists only while its object passed its last HEAD
 *     check, so every copy counts as verified.
 *   - Copies of a remote a job no longer uploads to, of a job no longer
 *     configured, or of a remote without retention are not planned (kept,
 *     not listed).
 *   - Errors: -1 with errno and err filled (catalog unreadable).
 *   - plan->entries is owned by the plan: remote_plan_free() releases it.
 */
#ifndef CAIRN_PRUNE_REMOTE_H
#define CAIRN_PRUNE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cairn/catalog.h"
#include "cairn/conf.h"

struct remote_entry {
	char		 remote[128];	/* the s3 section */
	char		 job[128];
	char		 name[256];	/* artifact name */
	char		 key[1024];	/* PREFIX JOB/NAME */
	int64_t		 id;		/* remote_copies row */
	bool		 remove;
	char		 reason[48];	/* the planner's reason */
};

struct remote_plan {
	struct remote_entry *entries;	/* owns */
	size_t		 n;
	size_t		 nremove;
	char		 warning[256];	/* "" when none */
};

int	 remote_plan_build(struct catalog *, const struct conf *, time_t now,
	    struct remote_plan *, char *err, size_t errlen);
void	 remote_plan_free(struct remote_plan *);

#endif /* CAIRN_PRUNE_REMOTE_H */
