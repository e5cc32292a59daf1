/*
 * engine -- the contract between a worker and the engine that does its job
 * (sqlite snapshot, mysql dump, verify, prune).
 *
 * Contract
 *   - An engine runs inside an already sandboxed worker process.  It gets
 *     everything through struct job_env (borrowed for the call) and opens
 *     nothing outside env->dirfd but what its sandbox allows.
 *   - It reports progress through env->progress at least every second or
 *     so while it works (the worker turns these into heartbeats), and stops
 *     early, cleaning up, when *env->cancel becomes non-zero.
 *   - It returns a CAIRN_E_* code (errors.h) and fills *res: on success the
 *     artifact's name and info, on failure a one-line cause in res->message.
 *     It never leaves a partial file under a final name.
 *   - res->tables is owned by res: job_result_free() releases it.
 */
#ifndef CAIRN_JOB_H
#define CAIRN_JOB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cairn/conf.h"
#include "cairn/writer.h"

struct job_progress {
	uint64_t	 bytes_in;	/* read from the source */
	uint64_t	 bytes_out;	/* raw bytes given to the writer */
	uint64_t	 items_done;	/* rows (mysql), pages (sqlite) */
	uint64_t	 items_total;	/* estimate; 0: unknown */
	char		 current[192];	/* current object: "db.table" */
};

typedef void	(*job_progress_fn)(void *arg, const struct job_progress *);

struct job_env {
	const struct job_conf	*job;
	int			 dirfd;		/* the job's folder */
	const char		*dir;		/* its path, for APIs that need one */
	time_t			 started;	/* names the artifact (UTC) */
	const char		*password;	/* mysql; NULL: none */
	int			 first_run;	/* retry connecting for a while */
	mode_t			 file_mode;	/* artifact mode, 0600 default */
	job_progress_fn		 progress;
	void			*progress_arg;
	volatile sig_atomic_t	*cancel;
};

struct table_stat {
	char		 name[192];	/* "db.table" (mysql), "table" (sqlite) */
	uint64_t	 rows;
	int		 has_checksum;
	uint64_t	 checksum;	/* CHECKSUM TABLE, when has_checksum */
};

struct job_result {
	char		 artifact[256];	/* final file name, in env->dirfd */
	struct artifact_info info;
	struct table_stat *tables;	/* owns */
	size_t		 ntables;
	char		 message[256];	/* one-line cause on failure */
};

/* "NAME_backup_YYYYMMDD_HHMMSS.sql.gz[.age]" for a job, kind and time. */
void	job_artifact_name(char *, size_t, const struct job_conf *, time_t);
/* The job's age recipients into *o (decoded into a new *pks the caller
 * frees after writer_open()); none: nothing set.  0, or -1 with err. */
int	job_writer_age(const struct job_conf *, struct writer_opts *o,
	    unsigned char (**pks)[32], char *err, size_t errlen);
void	job_result_free(struct job_result *);

int	job_sqlite_run(const struct job_env *, struct job_result *);
int	job_mysql_run(const struct job_env *, struct job_result *);

/*
 * The upload engine (src/worker/job_upload.c): copies the artifact name
 * of env->dirfd to the remote as PREFIX JOB/NAME, then HEADs it and checks
 * its size and x-amz-meta-sha256 against size and sha256_hex.  Fills out
 * (code, message: the ETag or the cause, sha256_hex, stored_bytes) and
 * returns out->code.
 */
struct frame_s3;
struct msg_result;
int	job_upload_one(const struct job_env *, const struct frame_s3 *,
	    const char *name, const char *sha256_hex, uint64_t size,
	    struct msg_result *out);
/* The remote copy of name alone: HEAD, size and sha256 as above. */
int	job_upload_check(const struct job_env *, const struct frame_s3 *,
	    const char *name, const char *sha256_hex, uint64_t size,
	    struct msg_result *out);
/* Deletes the remote copy of name (remote retention). */
int	job_upload_delete(const struct job_env *, const struct frame_s3 *,
	    const char *name, struct msg_result *out);
/*
 * Lists PREFIX JOB/ and calls fn for each object whose name (the key
 * without PREFIX JOB/) is not in known.  out->message counts them.
 */
typedef void	(*job_upload_unknown_fn)(void *arg, const char *name,
		    uint64_t size);
int	job_upload_list(const struct job_env *, const struct frame_s3 *,
	    const char *const *known, size_t nknown, job_upload_unknown_fn fn,
	    void *arg, struct msg_result *out);

#endif /* CAIRN_JOB_H */
