/*
 * prune -- build the prune plan of a backup folder: the catalog's artifacts
 * of every configured job through retention_plan(), and the job folders'
 * leftover temp files through retention_stale().
 *
 * Contract
 *   - prune_plan_build() reads the catalog and lists the job folders (no
 *     write of any kind): cairnd calls it before each prune run, and the
 *     control module calls it for `cairnctl prune --dry-run`, so a dry run
 *     shows exactly what a real run would delete at that moment.
 *   - busy lists what running workers hold: an artifact being written
 *     (its ".NAME.partial" is then never removed), and per job whether a
 *     backup (its snapshot temp files) or a verify (its ".cairn-verify.*"
 *     copies) runs.  Nothing a busy worker may use is planned for removal.
 *   - When the plan holds (the clock looks wrong) nothing at all is
 *     removed, temp files included; plan->warning says why.  A job held
 *     on its own (one of its artifacts, not failed, is dated in the
 *     future) keeps all its artifacts and temp files: plan->holds names
 *     it and the file.
 *   - Errors: -1 with errno and err filled (catalog or folder unreadable).
 *   - plan->entries is owned by the plan: prune_plan_free() releases it.
 */
#ifndef CAIRN_PRUNE_H
#define CAIRN_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cairn/catalog.h"
#include "cairn/conf.h"

struct prune_busy {
	const char	*job;		/* borrows */
	enum job_kind	 kind;
	const char	*artifact;	/* being written; NULL: none */
};

enum prune_what {
	PRUNE_ARTIFACT,			/* a catalog row and its file */
	PRUNE_TEMP,			/* a leftover temp file */
};

struct prune_entry {
	char		 job[128];
	char		 name[256];	/* file name in the job folder */
	enum prune_what	 what;
	bool		 remove;
	char		 reason[48];	/* the planner's reason */
	int64_t		 id;		/* catalog row; 0 for a temp file */
	time_t		 time;		/* artifact: from its name */
};

/* A job whose pruning holds: why, for health, status and metrics. */
struct prune_hold {
	char		 job[128];
	char		 reason[320];
};

struct prune_plan {
	struct prune_entry *entries;	/* owns */
	size_t		 n;
	size_t		 nremove;	/* entries with remove set */
	bool		 hold;		/* all jobs: now is before 2020 */
	char		 warning[256];	/* "" when none */
	struct prune_hold *holds;	/* owns; jobs held on their own */
	size_t		 nholds;
};

int	 prune_plan_build(struct catalog *, int backup_dirfd,
	    const struct conf *, time_t now, const struct prune_busy *,
	    size_t nbusy, struct prune_plan *, char *err, size_t errlen);
void	 prune_plan_free(struct prune_plan *);
/* The plan for a person: one line per entry, "delete"/"keep" first. */
void	 prune_plan_print(const struct prune_plan *, FILE *);

#endif /* CAIRN_PRUNE_H */
