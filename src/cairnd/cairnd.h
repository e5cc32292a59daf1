/*
 * cairnd -- the supervisor's internal interfaces (main.c, sup.c, worker.c).
 *
 * Contract
 *   - struct sup is the supervisor's whole state; only sup.c changes it
 *     once sup_run() starts.  Its tables are the only truth: what a worker
 *     says is gossip until checked (generation, order, the file on disk).
 *   - struct sup_boot is what start-up (main.c, as root) opened for the
 *     unprivileged loop; sup_run() takes ownership of every fd in it.
 *   - worker_main() is the re-executed worker: it never returns.
 */
#ifndef CAIRN_CAIRND_H
#define CAIRN_CAIRND_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cairn/chan.h"
#include "cairn/conf.h"
#include "cairn/frame.h"
#include "engine.h"

#define WORKER_CHAN_FD		3	/* the worker's end of its channel */
#define WORKER_FLAG		"-W"	/* argv[1] of a re-executed worker */
#define NOTIFIER_FLAG		"-N"	/* argv[1] of the notifier worker */
#define SUP_HELLO_TIMEOUT_MS	10000	/* from fork to the worker's HELLO */
#define SUP_RETRY_BASE_MS	5000	/* first retry delay; doubles */
#define SUP_RETRY_MAX_MS	(15 * 60 * 1000)
#define SUP_KILL_GRACE_MIN_MS	1000	/* SIGTERM -> SIGKILL */
#define SUP_KILL_GRACE_MAX_MS	10000
#define SUP_MAX_WAIT_MS		(60 * 60 * 1000)	/* longest poll() */

/* A secret file opened as root at start-up, read again for each run. */
struct secret {
	char		*path;
	int		 fd;
};

/* What start-up opened before dropping privileges (owned by sup_run()). */
struct sup_boot {
	int		 backup_dirfd;	/* O_DIRECTORY */
	struct audit	*audit;
	struct catalog	*catalog;	/* opened after the drop */
	struct secret	*secrets;	/* password files */
	size_t		 nsecrets;
	int		 lock_fd;	/* single-instance lock, -1 none */
	struct sup_ctl	*ctl;		/* control socket; NULL: none (-o) */
	char		 catalog_problem[320]; /* "": trusted and writable */
};

/*
 * auditwatch.c: checks the trail against the catalog's anchor at start-up
 * and keeps the anchor moving; "" or why the trail has a hole (health
 * fails on it).
 */
void		 audit_watch_start(struct audit *, struct catalog *,
		    const char *path);
const char	*audit_watch_problem(void);

/* A conf shared by the supervisor and the workers started under it. */
struct conf_ref {
	struct conf	*conf;
	int		 refs;
};

enum slot_state {
	SLOT_IDLE,
	SLOT_QUEUED,		/* waiting for a free worker */
	SLOT_RUNNING,
	SLOT_BACKOFF,		/* failed; waiting to retry */
};

struct worker;

/* One job's schedule and history; survives reloads (matched by name). */
struct slot {
	char		*name;
	const struct job_conf *job;	/* in sup->cur; NULL: gone from config */
	enum slot_state	 state;
	time_t		 next_fire;	/* next cron time; -1 none */
	unsigned	 attempt;	/* of the current run, from 1 */
	int64_t		 retry_at;	/* monotonic ms, SLOT_BACKOFF */
	uint64_t	 queued_at;	/* FIFO order of SLOT_QUEUED */
	struct worker	*w;		/* SLOT_RUNNING */
	int		 last_code;	/* -1: never ran */
	time_t		 last_end;
	int		 done_once;	/* -o: this cycle is over for it */
	int		 maint;		/* verify/prune slot: job owned by maint.c */
	/* ctl_ops.c: the last finished run, for cairnctl and the metrics */
	struct slot_stats {
		time_t		 start;		/* 0: none since start-up */
		time_t		 end;
		unsigned	 attempt;
		int		 code;		/* CAIRN_E_*, when start != 0 */
		char		 message[256];
		time_t		 ok_end;	/* last successful run's end */
		uint64_t	 ok_bytes;	/* its artifact's stored bytes */
		uint64_t	 failures;	/* failed runs since start-up */
	} stats;
};

struct worker {
	struct slot	*slot;
	struct conf_ref	*ref;		/* the conf it was started under */
	const struct job_conf *job;	/* in ref->conf */
	pid_t		 pid;
	uint32_t	 gen;
	struct chan	*chan;		/* NULL after end of file */
	time_t		 started;
	int64_t		 started_ms;
	int64_t		 deadline;	/* heartbeat (or HELLO) deadline */
	int64_t		 kill_at;	/* after SIGTERM: SIGKILL; 0 none */
	int		 hello;
	int		 term_sent;
	int		 kill_sent;
	int		 timed_out;	/* heartbeat deadline missed */
	int		 violation;
	int		 shutdown_kill;
	char		 cause[256];	/* first reason it failed */
	struct job_progress progress;
	int		 have_artifact;
	struct msg_artifact artifact;
	struct table_stat *tables;	/* owns */
	size_t		 ntables;
	int		 have_done;
	struct msg_done	 done;
	int		 status;	/* wait status once reaped */
	int		 reaped;
};

/* sup.c */
int	sup_run(const char *conf_path, struct conf *, struct sup_boot *,
	    int once);

/* worker.c */
__attribute__((noreturn)) void	worker_main(void);
/* job_notify.c: the alert delivery worker */
__attribute__((noreturn)) void	notifier_main(void);

/* -- alerts: the state machine and delivery queue (alerts.c) ------------ */
struct alerts;
struct sup;
struct pollfd;

struct alerts	*alerts_new(struct sup *, struct sup_boot *);
/* Start-up and each reload: the jobs, their staleness, the notifiers. */
void		 alerts_conf(struct alerts *, const struct conf *);
/* daemon_started (then the staleness check) or daemon_stopped. */
void		 alerts_daemon(struct alerts *, int started, const char *why);
/* A run ended; final: no retry follows.  House slots are ignored. */
void		 alerts_run_end(struct alerts *, const struct slot *,
		    const struct worker *, int code, unsigned attempt,
		    int final, int64_t art_id);
/* A verification's outcome (maint.c). */
void		 alerts_verified(struct alerts *, const char *job,
		    const char *artifact, int ok, const char *why);
/* An upload of ARTIFACT ended: ok, or failed with why (a retry may follow). */
void		 alerts_uploaded(struct alerts *, const char *job,
		    const char *artifact, int ok, const char *why);
/* Staleness and repeats; alerts_wait_ms(): ms until due, -1 never. */
void		 alerts_timers(struct alerts *);
int64_t		 alerts_wait_ms(struct alerts *);
/* The notifier worker's socket in the poll set, and its answers. */
size_t		 alerts_pollfds(struct alerts *, struct pollfd *, size_t max);
void		 alerts_dispatch(struct alerts *, const struct pollfd *,
		    size_t n);
/* 1 if pid was the notifier worker (then it is restarted later). */
int		 alerts_reap(struct alerts *, pid_t, int status);
/* cairnctl notify test: fn(arg, ok, notifier, result) once delivered. */
typedef void	(*alerts_test_fn)(void *arg, int ok, const char *notifier,
		    const char *result);
int		 alerts_test(struct alerts *, const char *name, alerts_test_fn,
		    void *arg, char *err, size_t errlen);
void		 alerts_test_cancel(struct alerts *);
/* The job's open problems, "stale verify_failed", or "" (status, health). */
void		 alerts_job_problems(struct alerts *, const char *job,
		    char *buf, size_t len, uint64_t *verify_failures);
/* At stop: delivers what is queued for up to 10 s, drops the rest. */
void		 alerts_drain(struct alerts *);
void		 alerts_free(struct alerts *);

/* -- ctl: the control socket and the metrics file (ctl_ops.c) ------------ */
struct sup;
struct pollfd;

/* sup.c, for ctl_ops.c */
int		 sup_reload(struct sup *, char *err, size_t errlen);
int		 sup_running(const struct sup *);
int		 sup_stopping(const struct sup *);
/* Starts "cairnd FLAG" on a fresh channel (its end: *chanp). */
pid_t		 sup_fork_worker(int socktype, const char *flag, int *chanp);
struct sup_boot	*sup_boot(struct sup *);
struct maint	*sup_maint(struct sup *);
struct alerts	*sup_alerts(struct sup *);
/* Rewrites the metrics file now (a state it shows has changed). */
void		 sup_metrics(struct sup *);

/*
 * Start-up, as root: creates the socket's folder when missing (0750, the
 * daemon's user and the socket group) and listens (ctl_listen()).  Returns
 * new (sup_ctl_free()), or NULL with the cause in err.
 */
struct sup_ctl	*sup_ctl_open(const struct conf *, uid_t uid, struct audit *,
		    char *err, size_t errlen);
/* The loop takes it over (ctl NULL: no socket, metrics only). */
struct sup_ctl	*sup_ctl_attach(struct sup_ctl *, struct sup *);
/* Answers what is still waiting, closes the socket, frees. */
void		 sup_ctl_free(struct sup_ctl *);
/* The poll entries (after the workers') and their dispatch. */
size_t		 sup_ctl_pollfds(struct sup_ctl *, struct pollfd *, size_t);
void		 sup_ctl_dispatch(struct sup_ctl *, const struct pollfd *,
		    size_t);
/* Milliseconds until the control socket has a deadline; -1 none. */
int		 sup_ctl_wait_ms(struct sup_ctl *);
/* Each turn: runs a ticket waits for that will not happen (cancelled). */
void		 sup_ctl_sweep(struct sup_ctl *);
/* A run ended (a backup or maint slot); attempt: the one that ended. */
void		 sup_ctl_run_end(struct sup_ctl *, struct slot *,
		    const struct worker *, int code, unsigned attempt);
/* Rewrites the metrics file (start-up, reload, after a run). */
void		 sup_ctl_metrics(struct sup_ctl *);
/*
 * The catalog failed (what: the failed write and its error) or is to be
 * checked (what NULL, at start-up): runs catalog_check(); a catalog that
 * is damaged, read-only or could not be written is noted in
 * b->catalog_problem with the count of artifact files it does not know,
 * logged and audited (catalog-damaged) once per cause.  health fails and
 * status says why until cairnd restarts on a sound catalog.  A busy
 * database (EBUSY) is only logged.
 */
void		 sup_catalog_fault(struct sup_boot *, const char *what);

/* -- maint: the verify and prune workers (maint.c, maint_worker.c) -------- */
struct sup;
struct maint;

/* sup.c, for maint.c: slots it adds, queues and looks at */
struct slot	*sup_slot_add(struct sup *, const char *name,
		    const struct job_conf *);
void		 sup_slot_queue(struct sup *, struct slot *);
struct slot	*const *sup_slot_list(struct sup *, size_t *n);
const struct conf *sup_conf(struct sup *);

/* maint.c: the supervisor's side */
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

/* maint_worker.c: the worker's side */
struct maint_item {
	struct msg_item	 m;
	struct table_stat *tables;	/* owns; m.ntables entries */
	size_t		 ntables;	/* received so far */
};

struct maint_items {
	struct maint_item *v;		/* owns */
	size_t		 n;
};

typedef void	(*maint_send_fn)(enum frame_type, const void *, size_t);

/* Reads ITEM (+TABLES) frames up to END.  0, or -1 with err. */
int	maint_items_read(struct chan *, uint32_t gen, struct maint_items *,
	    char *err, size_t errlen);
void	maint_items_free(struct maint_items *);
/* Verifies or removes every item, one RESULT each; a CAIRN_E_* code. */
int	maint_worker_run(const struct frame_job *, const struct job_env *,
	    const struct maint_items *, maint_send_fn, struct job_result *);

#endif /* CAIRN_CAIRND_H */
