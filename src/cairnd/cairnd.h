/*
 * cairnd.h -- the supervisor's shared types: what start-up hands the loop
 * (struct sup_boot), a job's slot and a running worker.  Calls live in
 * sup_api.h (the supervisor, for its other modules), maint.h, alerts.h,
 * ctl_ops.h, auditwatch.h; the worker modes in cairn/worker.h.
 *
 * Contract
 *   - struct sup is the supervisor's whole state (sup_int.h); only the
 *     loop's files change it once sup_run() starts.  Its tables are the only
 *     truth: what a worker says is gossip until checked (generation, order,
 *     the file on disk).
 *   - struct sup_boot is what start-up (main.c, as root) opened for the
 *     unprivileged loop; sup_run() takes ownership of every fd in it.
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

/* sup.c: the loop, until shutdown; the exit status of cairnd */
int	sup_run(const char *conf_path, struct conf *, struct sup_boot *,
	    int once);

#endif /* CAIRN_CAIRND_H */
