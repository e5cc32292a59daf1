/*
 * alert -- the alert document: what cairnd tells a person when backups
 * fail, go stale or shrink, and when that is over (docs/alerts.md).
 *
 * Contract
 *   - struct alert is plain data (fixed-size strings, no pointers): the
 *     supervisor fills it (src/cairnd/alerts.c), cairnctl reads it back.
 *   - alert_json() renders it as one line of JSON, keys in a fixed order,
 *     every string escaped (the control protocol's encoder); the caller
 *     frees the result.  The format is documented in docs/alerts.md and
 *     versioned by its "version" key: keys are only ever added.
 *   - Event names are stable: they appear in the document, in the audit
 *     trail and in configurations that filter on them.
 */
#ifndef CAIRN_ALERT_H
#define CAIRN_ALERT_H

#include <stdint.h>
#include <time.h>

#define ALERT_VERSION	1

enum alert_event {
	ALERT_JOB_FAILED,	/* a run failed after its last retry */
	ALERT_VERIFY_FAILED,	/* an artifact failed verification */
	ALERT_STALE,		/* no verified artifact younger than stale_after */
	ALERT_SIZE_DROP,	/* below size_drop of the previous, or min_size */
	ALERT_UPLOAD_FAILED,	/* an off-site copy could not be made */
	ALERT_DAEMON_STARTED,
	ALERT_DAEMON_STOPPED,
	ALERT_RECOVERED,	/* the problem named in .problem is over */
	ALERT_TEST,		/* cairnctl notify test */
	ALERT_EVENT_MAX,
};

struct alert {
	uint64_t	 id;		/* counts from 1 per daemon start */
	enum alert_event event;
	char		 job[65];	/* "": a daemon event */
	char		 host[256];
	time_t		 time;
	char		 artifact[256];	/* "": none */
	char		 problem[32];	/* recovered: the event that is over */
	char		 message[512];
	unsigned	 repeat;	/* 0: first; n: the n-th reminder */
	struct alert_counts {
		uint64_t	 failures;	/* consecutive failed runs */
		uint64_t	 verify_failures;	/* since start-up */
		int64_t		 bytes;		/* the artifact's; -1 unknown */
		int64_t		 previous_bytes;	/* -1 unknown */
		int64_t		 age;		/* newest verified, s; -1 none */
		uint64_t	 dropped;	/* alerts lost so far (queue, rate) */
	} counts;
};

const char	*alert_event_name(enum alert_event);
/* "job_failed" -> ALERT_JOB_FAILED; -1 if unknown. */
int		 alert_event_parse(const char *);
/* "critical", "warning" or "info". */
const char	*alert_severity(enum alert_event);
/* Fills id 0, time now, this host, counts unknown. */
void		 alert_init(struct alert *, enum alert_event, const char *job);
/* One line of JSON (no newline); new, free() it. */
char		*alert_json(const struct alert *);

#endif /* CAIRN_ALERT_H */
