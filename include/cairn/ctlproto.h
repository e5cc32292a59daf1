/*
 * ctlproto -- the control protocol between cairnctl and cairnd, and the status
 * snapshot both sides talk about.  docs/control.md describes it.
 *
 * Wire format (one request, one reply, per connection on a unix stream
 * socket; all integers big-endian; the 16-byte headers never change, so any
 * version can read any other version's header and say what is wrong):
 *   request  "CTLQ" u32 version  u32 flags  u32 length  then `length` bytes:
 *            argv-like strings, each ended by NUL (argv[0] is the command)
 *   reply    "CTLR" u32 version  u32 code   u32 length  then `length` bytes
 *            of text (human or JSON): the body cairnctl prints
 * A request is at most CTL_REQ_MAX bytes of strings and CTL_ARGS_MAX
 * strings; a reply body at most CTL_REPLY_MAX bytes.
 *
 * Contract
 *   - Pure encoding and decoding here (no I/O), plus ctl_call(), the
 *     blocking client used by cairnctl (a deadline on every step).
 *   - Errors: -1 with errno set (EPROTO: not our protocol; EPROTONOSUPPORT:
 *     another version; EMSGSIZE: over a bound) and a message where a
 *     buffer is taken.
 *   - struct buf owns its memory (buf_free()); struct ctl_status
 *     owns its jobs array (ctl_status_free()).
 */
#ifndef CAIRN_CTL_H
#define CAIRN_CTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cairn/buf.h"
#include "cairn/conf.h"
#include "engine.h"

#define CTL_PROTO_VERSION	1
#define CTL_HDR_LEN		16
#define CTL_REQ_MAGIC		"CTLQ"
#define CTL_REPLY_MAGIC		"CTLR"
#define CTL_REQ_MAX		4096		/* bytes of request strings */
#define CTL_ARGS_MAX		32
#define CTL_REPLY_MAX		(16u << 20)	/* bytes of reply body */

/* request flags */
#define CTL_F_JSON		0x01	/* reply body in JSON */
#define CTL_F_WAIT		0x02	/* run/verify/prune: answer when done */
#define CTL_F_KNOWN		0x03

struct ctl_request {
	uint32_t	 version;
	uint32_t	 flags;
	int		 argc;
	char		*argv[CTL_ARGS_MAX + 1];	/* into buf, NULL-ended */
	char		 buf[CTL_REQ_MAX + 1];
};

struct ctl_hdr {
	char		 magic[4];
	uint32_t	 version;
	uint32_t	 word;		/* flags (request), code (reply) */
	uint32_t	 length;
};

/*
 * Reply text is a struct buf (buf.h) bounded by CTL_REPLY_MAX: the ctl_buf_*
 * functions add to it with that bound (the rest is cut, b->cut set).
 */
void	 ctl_buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 ctl_buf_vprintf(struct buf *, const char *, va_list);
void	 ctl_buf_add(struct buf *, const char *, size_t);
/* A JSON string literal, quotes included; NULL becomes null. */
void	 ctl_buf_json_str(struct buf *, const char *);
/* Text for a terminal: control characters escaped (util_vis()). */
void	 ctl_buf_text(struct buf *, const char *);
/* "2026-11-24T06:00:01Z" as a JSON string, or null for 0. */
void	 ctl_buf_json_time(struct buf *, time_t);

void	 ctl_hdr_pack(unsigned char *wire, const struct ctl_hdr *);
void	 ctl_hdr_unpack(struct ctl_hdr *, const unsigned char *wire);

/*
 * Builds a request (header and strings) into *out (returned new; free()).
 * -1 (EMSGSIZE) when over CTL_REQ_MAX or CTL_ARGS_MAX, EINVAL for no
 * command or an empty command.
 */
int	 ctl_request_pack(uint32_t flags, int argc, char *const argv[],
	    unsigned char **out, size_t *outlen);
/*
 * Checks a request header: 0 and *len the payload length; -1 with errno
 * EPROTO (magic), EPROTONOSUPPORT (version) or EMSGSIZE (length) and the
 * message for the peer in err.
 */
int	 ctl_request_check(const struct ctl_hdr *, size_t *len, char *err,
	    size_t errlen);
/* Splits a checked payload into req (copied). -1 (EPROTO) if malformed. */
int	 ctl_request_parse(struct ctl_request *, const struct ctl_hdr *,
	    const unsigned char *payload, size_t len, char *err,
	    size_t errlen);

/* "cairnd speaks protocol N, this cairnctl speaks M: install ..." */
void	 ctl_version_message(char *, size_t, uint32_t daemon,
	    uint32_t client);

/*
 * The client: connects to path, sends the request, reads the reply within
 * timeout_ms for each step (-1: wait for ever, for --wait), returns 0 with
 * *code and body (returned new, NUL-terminated; free()).  -1 with errno
 * and a message in err: ENOENT/ECONNREFUSED (no daemon), EACCES,
 * ETIMEDOUT, EPROTONOSUPPORT (the version message is in err), EPROTO.
 */
int	 ctl_call(const char *path, uint32_t flags, int argc,
	    char *const argv[], int timeout_ms, int *code, char **body,
	    char *err, size_t errlen);

/* --- the status snapshot ------------------------------------------- */

enum ctl_state {
	CTL_IDLE,
	CTL_QUEUED,
	CTL_RUNNING,
	CTL_BACKOFF,
	CTL_STATE_MAX,
};

struct ctl_job_status {
	char		 name[128];
	enum job_kind	 kind;
	enum ctl_state	 state;
	pid_t		 pid;		/* running worker, 0: none */
	unsigned	 attempt;	/* of the current or last run */
	time_t		 last_start;	/* last finished run; 0: never */
	time_t		 last_end;
	int		 last_code;	/* CAIRN_E_*, -1: never ran */
	char		 last_message[256];
	time_t		 last_ok_end;	/* last successful run's end, 0: none */
	uint64_t	 last_bytes;	/* its artifact's stored bytes */
	uint64_t	 failures;	/* failed runs since cairnd started */
	time_t		 next_run;	/* next scheduled fire, 0: none */
	time_t		 retry_at;	/* CTL_BACKOFF: next attempt */
	time_t		 newest_good;	/* newest artifact not failed, 0: none */
	char		 alerts[96];	/* open alert problems, "" none */
	uint64_t	 artifacts;	/* in the catalog, on disk */
	uint64_t	 artifact_bytes;	/* their stored bytes */
	time_t		 newest_verified;	/* newest status ok, 0: none */
	uint64_t	 verify_failures;	/* since cairnd started */
	bool		 upload;	/* the job makes off-site copies */
	time_t		 upload_last;	/* last good upload, 0: none yet */
	uint64_t	 upload_failures;	/* failed attempts, since start */
	uint64_t	 upload_bytes;	/* uploaded since start */
	bool		 upload_running;	/* the upload worker is at work */
	struct job_progress upload_progress;	/* its heartbeats' */
	char		 prune_hold[320]; /* why pruning holds it; "": none */
	int64_t		 interval;	/* schedule period in seconds, 0: none */
	/* running: progress from the worker's heartbeats */
	time_t		 run_start;
	struct job_progress progress;
	/* filled by ctl_status_assess() */
	bool		 overdue;	/* a run is later than the schedule */
	bool		 stale;		/* the newest good artifact is too old */
	bool		 healthy;
	char		 why[400];	/* why not healthy */
};

struct ctl_status {
	pid_t		 pid;
	time_t		 started;
	time_t		 now;
	char		 version[32];
	int		 max_workers;
	int		 running;
	char		 backup_dir[256];
	struct ctl_job_status *jobs;	/* owns; xcalloc'd */
	size_t		 njobs;
	bool		 healthy;	/* every job healthy, no problem */
	char		 problem[256];	/* the daemon's own, "" none */
	char		 catalog_problem[320]; /* "": the catalog is sound */
};

void	 ctl_status_free(struct ctl_status *);
const char *ctl_state_name(enum ctl_state);
/* Slack a job gets beyond its interval: max(interval / 2, 15 min). */
int64_t	 ctl_slack(int64_t interval);
/* Sets overdue, stale, healthy and why on every job and st->healthy. */
void	 ctl_status_assess(struct ctl_status *);
/* Human text or JSON (docs/control.md) appended to out. */
void	 ctl_status_format(const struct ctl_status *, bool json,
	    struct buf *out);
/* The health verdict: a line per job, or JSON. */
void	 ctl_health_format(const struct ctl_status *, bool json,
	    struct buf *out);
/* bytes per second and seconds left (-1 unknown) of a running job. */
void	 ctl_progress_rate(const struct ctl_job_status *, time_t now,
	    double *rate, int64_t *eta);
/* "1.5 GiB" */
void	 ctl_human_bytes(char *, size_t, uint64_t);

#endif /* CAIRN_CTL_H */
