/*
 * audit -- the audit trail: an append-only, hash-chained file of JSON lines.
 *
 * Each line is one JSON object, keys in a fixed order:
 *   {"seq":N,"time":"YYYY-MM-DDTHH:MM:SSZ","event":"E",<fields>,"prev":"H"}
 * seq counts from 1 without gaps; prev is the lowercase hex SHA-256 of the
 * previous line as written (without its newline), 64 zeros on the first.
 * docs/audit-and-catalog.md describes the format and what it proves.
 *
 * Contract
 *   - Only the supervisor writes.  audit_write() is one write(2) of the
 *     whole line on an O_APPEND fd followed by fdatasync(2).  A short write
 *     (ENOSPC) is cut off again with ftruncate(2), so the file only ever
 *     grows by whole lines.
 *   - audit_open() continues seq and chain from the last line.  A torn last
 *     line (no newline: a crash in the middle of a write that was never
 *     acknowledged) is cut off and the first line written is an
 *     "audit_recovered" event with the fragment's length and SHA-256, so the
 *     repair is itself on the record.  A last line that cannot be parsed
 *     fails the open (EBADMSG): the chain cannot be continued honestly.
 *   - String values are escaped for JSON: quotes, backslashes and control
 *     characters (also DEL, U+2028, U+2029) as escapes; bytes that are not
 *     valid UTF-8 become U+FFFD.  Values longer than AUDIT_VALUE_MAX bytes
 *     are cut.  A NULL string is written as null.
 *   - Keys and event names are [a-z0-9_] (events may also use . and -),
 *     1..64 bytes; a key may not repeat or be seq/time/event/prev (EINVAL).
 *   - Errors: -1 with errno set, and a message in the err buffer where one
 *     is taken.  struct audit owns its fd; audit_close() closes it.
 */
#ifndef CAIRN_AUDIT_H
#define CAIRN_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define AUDIT_LINE_MAX		65536	/* bytes, newline included */
#define AUDIT_VALUE_MAX		4096	/* input bytes of one string value */
#define AUDIT_HASH_ZERO \
	"0000000000000000000000000000000000000000000000000000000000000000"

enum audit_type {
	AUDIT_STR,		/* v.s; NULL is written as null */
	AUDIT_INT,		/* v.i */
	AUDIT_UINT,		/* v.u */
};

struct audit_field {
	const char	*key;		/* NULL ends a list */
	enum audit_type	 type;
	union {
		const char	*s;
		int64_t		 i;
		uint64_t	 u;
	} v;
};

#define AF_STR(k, x)	{ .key = (k), .type = AUDIT_STR, .v.s = (x) }
#define AF_INT(k, x)	{ .key = (k), .type = AUDIT_INT, .v.i = (x) }
#define AF_UINT(k, x)	{ .key = (k), .type = AUDIT_UINT, .v.u = (x) }
#define AF_END		{ .key = NULL }

struct audit;

/*
 * Opens (creating, mode 0640) the log at path for appending.  Returns new,
 * or NULL with errno set and err filled.
 */
struct audit	*audit_open(const char *path, char *err, size_t errlen);
/* The same on fd, already open O_RDWR|O_APPEND (owned from now on, also on
 * failure); path names it. */
struct audit	*audit_fdopen(int fd, const char *path, char *err,
		    size_t errlen);
/* Closes the fd and frees; NULL is fine. */
void		 audit_close(struct audit *);

/*
 * Appends one event.  fields is an array ended by AF_END (borrowed).
 * 0, or -1 with errno set: EINVAL (bad key/event), EMSGSIZE (line too
 * long), or the write/fdatasync error.  If the write went through but
 * fdatasync failed the chain still advances (the line is in the file).
 */
int		 audit_writev(struct audit *, const char *event,
		    const struct audit_field *fields);
/*
 * The log survives rotation without a break in the chain (docs/audit-and-
 * catalog.md).  Rename rotation: audit_reopen() (cairnd: on SIGHUP) opens
 * the path again; a new, empty file gets an "audit-continued" first line
 * whose seq and prev go on from the old file: 1, or 0 if the path is
 * still the file being written, -1 (old file kept) on error.
 * copytruncate: every write notices a file emptied under it and writes the
 * same "audit-continued" line first.
 */
#define AUDIT_CONTINUED	"audit-continued"
int		 audit_reopen(struct audit *, char *err, size_t errlen);
/* The same with an explicit time (tests, replay). */
int		 audit_writev_at(struct audit *, time_t, const char *event,
		    const struct audit_field *fields);
/* audit_write(a, "spawn", AF_STR("job", name), AF_INT("gen", 4)) */
#define audit_write(a, ev, ...) \
	audit_writev((a), (ev), (const struct audit_field[]){ \
	    __VA_ARGS__ __VA_OPT__(,) AF_END })

/*
 * Called after every write with 0 or the errno of a failed write (the
 * supervisor records the head, or that the trail has a hole).  NULL: none.
 */
typedef void	(*audit_hook_fn)(struct audit *, int err, void *arg);
void		 audit_set_hook(struct audit *, audit_hook_fn, void *arg);

/* The seq of the last line written (0: empty) and its hash (borrowed). */
uint64_t	 audit_seq(const struct audit *);
const char	*audit_head(const struct audit *);

/* --- reading -------------------------------------------------------- */

/* One parsed line.  Strings point into storage the record owns. */
struct audit_record {
	uint64_t		 lineno;	/* 1-based line number */
	uint64_t		 seq;
	char			 time[32];
	char			*event;
	struct audit_field	*fields;	/* nfields + AF_END */
	size_t			 nfields;
	char			 prev[65];
	const char		*line;		/* as written, no newline */
	size_t			 linelen;
	void			*mem_;		/* private */
};

/*
 * Parses one line (no newline) strictly: a flat object, keys in the fixed
 * order, integer and string values only, and the line must be exactly what
 * audit_write() would have written for it.  Non-negative numbers come back
 * as AUDIT_UINT, negative ones as AUDIT_INT.  0, or -1 (EBADMSG) with a
 * cause in err.  The record owns copies; audit_record_free() releases them.
 */
int		 audit_parse_line(const char *line, size_t len,
		    struct audit_record *, char *err, size_t errlen);
void		 audit_record_free(struct audit_record *);

typedef int	(*audit_record_fn)(const struct audit_record *, void *arg);

/*
 * Calls fn, oldest first, for each of the last n complete lines of the log
 * (all of them when n is 0).  The record is borrowed for the call.  A line
 * that does not parse is passed with event NULL and no fields.  A non-zero
 * return from fn stops the walk and is returned.  -1 with errno on error.
 */
int		 audit_tail(const char *path, size_t n, audit_record_fn fn,
		    void *arg, char *err, size_t errlen);

struct audit_report {
	uint64_t	 lines;		/* complete lines that checked out */
	uint64_t	 last_seq;
	char		 head[65];	/* hash of the last good line */
	uint64_t	 bad_line;	/* first broken line, 0: none */
	char		 reason[256];	/* why it is broken */
	uint64_t	 time_backwards;	/* lines older than the one before */
	uint64_t	 first_seq;	/* > 1: a rotated log, from "continues" */
	char		 continues[65];	/* the head of the file before it */
};

/*
 * Checks the whole chain: every line ends with a newline, parses, is
 * canonical, seq goes 1, 2, ... and prev is the hash of the line before.
 * A rotated log may start with an "audit-continued" line of seq N > 1:
 * then seq goes N, N+1, ... and first_seq and continues (its prev, the
 * head of the file before) say where to join it.
 * Time going backwards is allowed (clocks step) and only counted.
 * An anchor is a (seq, head) pair kept somewhere else: with anchor_head
 * (hex, or NULL for none) the line with seq anchor_seq must exist and hash
 * to it (anchor_seq 0: the last line must).  That catches an edit of the
 * last lines or lines cut off the end, which the chain alone cannot.
 * Returns 0 if intact; -1 with errno EBADMSG and report->bad_line/reason
 * if not, or another errno (reason filled) if the file cannot be read.
 */
int		 audit_verify(const char *path, uint64_t anchor_seq,
		    const char *anchor_head, struct audit_report *);

/*
 * The bounded check done at start-up: only the lines from anchor_seq to
 * last_seq (the trail's last line, as audit_open() found it), read from the
 * end.  The line anchor_seq must hash to anchor_head and the rest chain on
 * from it.  A trail that ends before anchor_seq was deleted, cut short or
 * rewound.  0 if intact; -1 with errno EBADMSG and report->reason if not.
 */
int		 audit_verify_from(const char *path, uint64_t anchor_seq,
		    const char *anchor_head, uint64_t last_seq,
		    struct audit_report *);

#endif /* CAIRN_AUDIT_H */
