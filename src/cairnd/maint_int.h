/*
 * maint_int.h -- private to maint.c, maint_requests.c, maint_upload.c,
 * maint_send.c and maint_results.c: the supervisor's maintenance state
 * (struct maint, a job's queues and items in flight, cairnctl requests)
 * and the calls those files make into one another.
 *
 * Contract
 *   - Loop thread only, like maint.h.  struct maint owns its hjobs and
 *     hreqs; an hjob's slots are the supervisor's (sup_api.h, borrowed).
 *   - Nothing outside these five files includes this header.
 */
#ifndef CAIRN_MAINT_INT_H
#define CAIRN_MAINT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/audit.h"
#include "cairn/log.h"
#include "cairn/prune.h"
#include "maint.h"
#include "sup_api.h"

/* One item sent to a running worker, or planned for the next one. */
struct hitem {
	int64_t		 id;		/* catalog row; 0: a temp file */
	char		 name[256];
	char		 sha256[65];	/* verify: the catalog's */
	int		 found;		/* verify: row made at reconcile */
	enum prune_what	 what;
	char		 reason[48];	/* prune: the plan's */
	int		 answered;
	uint64_t	 size;		/* upload: stored bytes */
	int		 failed;	/* upload: answered with a failure */
	int		 rcheck;	/* remote check: id is the copy's row */
	int64_t		 art_id;	/* remote check: its artifact, 0 gone */
	int		 rdelete;	/* remote prune: id is the copy's row */
	int		 rlist;		/* the listing of PREFIX JOB/ */
};

struct hjob {
	char		*name;
	struct job_conf	 vjob, pjob;	/* the slots' jobs */
	char		*dbs[2];	/* vjob.databases */
	struct slot	*vslot, *pslot;
	int64_t		*pending;	/* verify: catalog ids queued */
	size_t		 npending;
	struct hitem	*planned;	/* prune: removals for the next run */
	size_t		 nplanned;
	struct hitem	*vfly, *pfly;	/* sent to the running worker */
	size_t		 nvfly, npfly;
	char		 hold[320];	/* the last plan held it: why */
	/* upload (docs/offsite.md): only when the job names a remote */
	struct job_conf	 ujob;
	struct slot	*uslot;
	int64_t		*upending;	/* catalog ids queued for upload */
	size_t		 nupending;
	struct hitem	*ufly;
	size_t		 nufly;
	int		 rcheck;	/* HEAD every remote copy next run */
	struct maint_upload ustate;	/* for status and the metrics */
	struct hitem	*rdel;		/* remote copies to delete next run */
	size_t		 nrdel;
	char		**unknown;	/* keys reported as unknown (once) */
	size_t		 nunknown;
};

/* cairnctl verify/prune: one ticket over the items it queued. */
struct hkey {
	struct hjob	*hj;
	int64_t		 id;		/* verify: the catalog row */
	char		 name[256];	/* prune: the file */
	int		 done;
};

struct hreq {
	uint64_t	 ticket;
	maint_done_fn	 fn;
	void		*arg;
	int		 prune;
	struct hkey	*k;		/* owns */
	size_t		 n, left;
	size_t		 ok;
	int		 worst;
	char		 first[400];	/* the first failure's line */
};

struct maint {
	struct sup	*sup;
	struct sup_boot	*boot;
	int		 once;
	int		 started;
	time_t		 verify_next;	/* -1: none */
	time_t		 prune_next;
	int		 dirty;		/* something ended since the last plan */
	int		 failures;
	struct hjob	**jobs;
	size_t		 njobs;
	size_t		 nheld;		/* jobs with a hold */
	struct hreq	**req;		/* owns */
	size_t		 nreq;
};

#define maint_audit(h, ev, ...) do {					\
	if ((h)->boot->audit != NULL &&					\
	    audit_write((h)->boot->audit, (ev), __VA_ARGS__) == -1)	\
		log_warn("audit %s", (ev));				\
} while (0)

/* maint.c */
struct hjob	*maint_job(struct maint *, const char *name);
/* The hjob whose verify or prune slot this is; NULL for a backup slot. */
struct hjob	*maint_job_of(struct maint *, const struct slot *);
int		 maint_configured(const struct conf *, const char *name);

/* maint_requests.c */
void		 maint_req_key(struct hreq *, struct hjob *, int64_t id,
		    const char *name);
/* An item of a prune (prune) or verification ended: every request on it. */
void		 maint_req_item(struct maint *, int prune, struct hjob *,
		    int64_t id, const char *name, int code, const char *line);
struct hreq	*maint_req_new(struct maint *, int prune, uint64_t ticket,
		    maint_done_fn, void *arg);
/* Drops a request that queued nothing (it is never answered). */
void		 maint_req_drop(struct maint *, struct hreq *);
/* Queue catalog id for verification (once) and wake the verify slot. */
void		 maint_verify_queue(struct maint *, struct hjob *, int64_t id);
/* Every artifact of a job (all: true) or only the unverified ones. */
void		 maint_verify_catalog(struct maint *, const char *job,
		    int all, struct hreq *);

/* maint_upload.c */
void		 maint_upload_conf(struct maint *, struct hjob *,
		    const struct job_conf *);
/* Has the job's remote a copy of path ("JOB/NAME") on record? */
int		 maint_has_copy(struct maint *, struct hjob *,
		    const char *path);
/* Queue catalog id for upload (once) and wake the upload slot. */
void		 maint_upload_queue(struct maint *, struct hjob *, int64_t id);
/* Check every remote copy of the job on its next upload run. */
void		 maint_remote_queue(struct maint *, struct hjob *);
/* At start-up: verified artifacts without a copy on their job's remote. */
void		 maint_upload_catalog(struct maint *);

#endif /* CAIRN_MAINT_INT_H */
