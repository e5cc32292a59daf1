/*
 * catalog -- catalog.db, the record of every artifact in the backup folder.
 *
 * An SQLite database (WAL) at BACKUP_DIR/catalog.db: one row per artifact
 * (job, kind, path relative to the backup folder, times, sizes, SHA-256,
 * status, last verification), its per-table row counts, and one row per
 * job run.  docs/audit-and-catalog.md describes the schema.
 *
 * Contract
 *   - Only the supervisor opens it read-write; cairnctl opens it with
 *     CATALOG_RDONLY, which works while the daemon writes (WAL readers see
 *     the last committed state and never block the writer).
 *   - The schema version is PRAGMA user_version.  A read-write open
 *     migrates an older catalog forward, each step in one transaction; a
 *     catalog newer than this build is refused by both kinds of open.
 *   - Every statement is a prepared statement with bound parameters.
 *   - Errors: -1 (or NULL) with errno set (ENOENT: no such row or no
 *     catalog; EBUSY: locked; EIO: any other SQLite error) and a message in
 *     catalog_error() (or err for catalog_open()).
 *   - struct catalog owns its connection and a descriptor of the backup
 *     folder; catalog_close() releases both.  Arrays returned by
 *     catalog_list()/catalog_tables() are returned new: free() them.
 */
#ifndef CAIRN_CATALOG_H
#define CAIRN_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cairn/conf.h"
#include "engine.h"

#define CATALOG_FILE		"catalog.db"
#define CATALOG_SCHEMA_VERSION	2

#define CATALOG_RDONLY		0x01

enum artifact_status {
	ART_UNVERIFIED,		/* written or found, not verified yet */
	ART_OK,			/* the last verification passed */
	ART_FAILED_VERIFY,	/* the last verification failed */
	ART_MISSING,		/* the file is gone (found at reconcile) */
	ART_DELETED,		/* pruned, row kept for the record */
	ART_STATUS_MAX,
};

struct artifact {
	int64_t			 id;
	char			 job[128];
	enum job_kind		 kind;		/* JOB_MYSQL or JOB_SQLITE */
	char			 path[512];	/* "JOB/NAME", relative */
	time_t			 started;	/* from the name, UTC */
	time_t			 finished;
	uint64_t		 raw_bytes;	/* 0: unknown (found on disk) */
	uint64_t		 stored_bytes;
	char			 sha256[65];
	enum artifact_status	 status;
	time_t			 verified_at;	/* 0: never */
	char			 verify_result[256];
	time_t			 recorded;	/* when the row was made */
};

/* One object on an s3 remote (docs/offsite.md); kept after local prune. */
struct remote_copy {
	int64_t		 id;
	char		 remote[128];	/* the s3 section's name */
	char		 key[1024];	/* PREFIX JOB/NAME */
	char		 job[128];
	char		 path[512];	/* "JOB/NAME", as in artifacts */
	int64_t		 artifact_id;	/* 0: the local row is gone */
	uint64_t	 size;
	char		 sha256[65];
	char		 etag[128];
	time_t		 uploaded;
	time_t		 verified_at;	/* HEAD checked size and sha256 */
};

struct catalog_run {
	int64_t		 id;
	char		 job[128];
	time_t		 started;
	time_t		 finished;
	int		 code;		/* CAIRN_E_* */
	int		 attempt;	/* 1 for the first try */
	char		 message[256];
	int64_t		 artifact_id;	/* 0: none */
};

/* What catalog_reconcile() found; catalog_reconcile_free() releases it. */
struct catalog_reconcile {
	struct artifact	*found;		/* files without a row: now recorded */
	size_t		 nfound;	/* (unverified), or missing rows whose */
					/* file came back */
	struct artifact	*missing;	/* rows without a file: now missing */
	size_t		 nmissing;
	char		**stale;	/* "JOB/.NAME.partial", "JOB/X.snapshot.tmp" */
	size_t		 nstale;
};

struct catalog;

/*
 * Opens BACKUP_DIR/catalog.db (creating and migrating it unless
 * CATALOG_RDONLY).  Returns new, or NULL with errno and err.
 */
struct catalog	*catalog_open(const char *backup_dir, int flags, char *err,
		    size_t errlen);
void		 catalog_close(struct catalog *);
const char	*catalog_error(const struct catalog *);
int		 catalog_schema_version(struct catalog *);

const char	*catalog_status_name(enum artifact_status);
/* -1 for an unknown name */
int		 catalog_status_parse(const char *);

/*
 * Splits "JOB_backup_YYYYMMDD_HHMMSS.{sql,db}{.gz,.zst,}" into its job
 * (into job, joblen bytes), kind, time and compression.  0, or -1 (EINVAL).
 */
int		 catalog_parse_name(const char *name, char *job, size_t joblen,
		    enum job_kind *, time_t *, enum compress_kind *);

/*
 * Records a finished run's artifact: JOB/res->artifact with res->info and
 * res->tables (borrowed), status unverified.  *idp gets the row id.
 */
int		 catalog_add(struct catalog *, const char *job, enum job_kind,
		    time_t started, time_t finished,
		    const struct job_result *res, int64_t *idp);
int		 catalog_get(struct catalog *, int64_t id, struct artifact *);
/* By path relative to the backup folder ("JOB/NAME"). */
int		 catalog_find(struct catalog *, const char *path,
		    struct artifact *);
/* Every artifact (job NULL) or one job's, newest first.  *out: free(). */
int		 catalog_list(struct catalog *, const char *job,
		    struct artifact **out, size_t *n);
/* An artifact's table stats, by name.  *out: free(). */
int		 catalog_tables(struct catalog *, int64_t id,
		    struct table_stat **out, size_t *n);
/* Status ok or failed-verify, with the time and a one-line result. */
int		 catalog_set_verified(struct catalog *, int64_t id, int ok,
		    time_t at, const char *result);
int		 catalog_set_status(struct catalog *, int64_t id,
		    enum artifact_status);
/* Records the SHA-256 of a row found at reconcile (whose sha256 is ""). */
int		 catalog_set_sha256(struct catalog *, int64_t id,
		    const char *hex);
/* Removes the row and its table stats (runs keep their history). */
int		 catalog_delete(struct catalog *, int64_t id);

/* Off-site copies: add (or replace the same remote and key), list one
 * job's (job NULL: all) newest first (*out: free()), delete a row. */
int		 catalog_remote_add(struct catalog *, const struct remote_copy *);
int		 catalog_remote_list(struct catalog *, const char *job,
		    struct remote_copy **out, size_t *n);
int		 catalog_remote_delete(struct catalog *, int64_t id);

/* Appends a run (run->id is set). */
int		 catalog_run_add(struct catalog *, struct catalog_run *);
/* The newest run of a job; ENOENT if none. */
int		 catalog_run_last(struct catalog *, const char *job,
		    struct catalog_run *);

/*
 * Brings the catalog in line with the folder: every BACKUP_DIR/JOB/ is
 * walked for artifact files.  A file without a row is recorded (status
 * unverified, sha256 "": nothing is read, so a huge or planted file costs
 * one stat; the verify worker hashes it later) and listed in found; a missing row whose
 * file is back is set to unverified and listed in found too; a row
 * (not missing or deleted) without a file is marked missing and listed in
 * missing; leftover partial and snapshot temp files are listed in stale
 * (not removed).  The caller queues verifications and audits each item.
 * On error out holds nothing (rows changed so far stay changed).
 */
int		 catalog_reconcile(struct catalog *, struct catalog_reconcile *);

/*
 * The audit trail's anchor (docs/audit-and-catalog.md): the seq and head
 * hash of its last line, rewritten after each line the daemon writes, so
 * that a trail deleted, cut short or rewound is seen at the next start.
 * get: 1 and the values, 0 when none was recorded yet, -1 on error.
 */
int		 catalog_audit_anchor_get(struct catalog *, uint64_t *seq,
		    char head[65]);
int		 catalog_audit_anchor_set(struct catalog *, uint64_t seq,
		    const char *head);
/*
 * Can the catalog be trusted and written?  Runs PRAGMA quick_check (every
 * page, b-tree and index of the file, without the slower cross-checks of
 * integrity_check) and asks whether the connection is read-only.  0, or
 * -1 with the first problem in why ("quick_check: *** in database main
 * ***: Tree 4 page 7: btreeInitPage() returns error code 11",
 * "read-only: the catalog cannot be written").
 */
int		 catalog_check(struct catalog *, char *why, size_t len);
/*
 * Counts the artifact files in the job folders (names as
 * catalog_parse_name(), in their own job's folder) that have no usable
 * row: not found, or the lookup failed.  Reads no file.
 */
size_t		 catalog_unknown_files(struct catalog *);
void		 catalog_reconcile_free(struct catalog_reconcile *);

#endif /* CAIRN_CATALOG_H */
