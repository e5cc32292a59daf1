/*
 * frame -- the wire protocol between cairnd and its workers: length-prefixed
 * binary frames, their payloads, and the rules a stream of them must follow.
 *
 * Frame layout (all integers big-endian, packed field by field):
 *
 *	offset	size	field
 *	0	1	version		CAIRN_PROTO_VERSION
 *	1	1	type		enum frame_type
 *	2	2	flags		FRAME_F_FD or 0; other bits must be 0
 *	4	4	length		payload bytes, <= FRAME_MAX_PAYLOAD
 *	8	4	gen		the run's generation number
 *	12	4	seq		frame counter of the sender, from 1
 *	16	len	payload		type-specific, see the frame_encode_*()
 *
 * Contract
 *   - Pure code: no I/O, no exit.  Encoders write into a caller buffer and
 *     return the payload length, or -1 with errno EMSGSIZE when it does not
 *     fit.  Decoders return 0, or -1 with errno EBADMSG when a payload is
 *     malformed (short, trailing bytes, a string too long or holding a NUL,
 *     a value out of range).
 *   - frame_hdr_unpack() rejects a bad version (EPROTONOSUPPORT), unknown
 *     type or flags (EBADMSG) and a payload over FRAME_MAX_PAYLOAD
 *     (EMSGSIZE); frame_seq_admit() rejects a type that may not travel in
 *     that direction, a length outside the type's bounds, or a frame out of
 *     order (EPROTO).  Both run on the 16 header bytes alone, so a bad frame
 *     is refused before its payload is read or any memory is allocated.
 *   - Order, supervisor -> worker: HELLO, JOB (carries the job folder's
 *     descriptor), nothing else.  Worker -> supervisor: HELLO first, then
 *     HEARTBEAT and LOG freely, at most one ARTIFACT followed by exactly
 *     the TABLES entries it announced, and DONE last; nothing after DONE.
 *   - Verify and prune workers (JOB_VERIFY, JOB_PRUNE) get more after
 *     JOB: any number of ITEM frames, each followed by the TABLES entries
 *     it announced (the catalog's expected counts, supervisor -> worker),
 *     then END; they answer each item with one RESULT before DONE.  For a
 *     JOB_VERIFY, job.db is the restore target and job.databases[0] its
 *     scratch database.
 *   - Upload workers (JOB_UPLOAD) get ITEMs with op ITEM_UPLOAD,
 *     ITEM_REMOTE_CHECK, ITEM_REMOTE_DELETE or ITEM_REMOTE_LIST, like
 *     verify; JOB carries the remote (struct frame_s3) and its keys.
 *   - struct frame_job owns its strings: frame_job_free() releases them and
 *     wipes the password, the S3 secret key and the age identity.
 *     job.age_recipients (public keys) travel to backup workers;
 *     age_identity (a secret, read by the supervisor from the file it
 *     opened at start-up) only to verify workers.
 */
#ifndef CAIRN_FRAME_H
#define CAIRN_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairn/conf.h"
#include "engine.h"

#define CAIRN_PROTO_VERSION	1
#define FRAME_HDR_LEN		16
#define FRAME_MAX_PAYLOAD	65536
#define FRAME_F_FD		0x0001	/* a descriptor travels with it */
#define FRAME_LOG_MAX		1024	/* bytes of one LOG message */
#define FRAME_TABLES_PER_FRAME	128
#define FRAME_TABLES_MAX	100000	/* per artifact */
#define FRAME_STR_MAX		4096	/* any other string */
#define FRAME_LIST_MAX		1024	/* entries of a string list */

enum frame_type {
	MSG_HELLO = 1,
	MSG_JOB,
	MSG_HEARTBEAT,
	MSG_LOG,
	MSG_ARTIFACT,
	MSG_TABLES,
	MSG_DONE,
	/* maint: verify and prune workers (docs/verify-and-prune.md) */
	MSG_ITEM,		/* sup -> worker: one thing to check or remove */
	MSG_END,		/* sup -> worker: no more items */
	MSG_RESULT,		/* worker -> sup: the outcome of one item */
	MSG_TYPE_MAX,
};

/* The direction a frame travels, i.e. who receives it. */
enum frame_dir {
	FRAME_TO_WORKER = 1,
	FRAME_TO_SUP = 2,
};

/* Fault injection modes (tests only; see docs/architecture.md). */
enum frame_fault {
	FAULT_NONE,
	FAULT_HANG,		/* stop heartbeating, never finish */
	FAULT_CRASH,		/* leave a partial file, abort() */
	FAULT_GARBAGE,		/* send bytes that are no frame */
	FAULT_OVERSIZE,		/* announce a payload over the limit */
	FAULT_EXECVE,		/* execve() inside the sandbox */
	FAULT_SLOW,		/* leave a partial file, work for a minute */
	FAULT_MAX,
};

struct frame_hdr {
	uint8_t		 version;
	uint8_t		 type;
	uint16_t	 flags;
	uint32_t	 len;
	uint32_t	 gen;
	uint32_t	 seq;
};

/* HELLO, both ways: who is speaking, and which run. */
struct msg_hello {
	uint32_t	 proto;		/* CAIRN_PROTO_VERSION */
	uint32_t	 pid;
	uint32_t	 gen;
};

/* JOB_UPLOAD: the remote and its keys (wiped by frame_job_free()). */
struct frame_s3 {
	char		*endpoint, *region, *bucket, *prefix;
	char		*access_key, *secret_key;
	char		*storage_class;	/* NULL: the server's default */
	uint32_t	 path_style;
	uint32_t	 part_size;	/* bytes */
	uint32_t	 concurrency;
	uint64_t	 bandwidth_limit;	/* bytes/s, 0 none */
	uint32_t	 verify_download;	/* remote check downloads */
};

/* JOB: everything a worker needs; the folder's fd travels beside it. */
struct frame_job {
	struct job_conf	 job;		/* owns its strings and lists */
	char		*dir;		/* the job folder's path */
	char		*password;	/* mysql; NULL: none */
	int64_t		 started;	/* names the artifact (UTC) */
	uint32_t	 first_run;
	uint32_t	 file_mode;
	uint32_t	 heartbeat_interval;	/* seconds */
	uint32_t	 heartbeat_timeout;	/* seconds */
	uint32_t	 fault;		/* enum frame_fault */
	struct retention_conf retention;	/* prune; schedule not sent */
	uint32_t	 verify_restore_test;
	char		*age_identity;	/* verify: age identity file text */
	struct frame_s3	 s3;		/* JOB_UPLOAD; all NULL otherwise */
};

struct msg_log {
	uint8_t		 level;		/* enum log_level */
	char		 text[FRAME_LOG_MAX + 1];
};

struct msg_artifact {
	char		 name[256];	/* a plain file name in the job folder */
	uint64_t	 raw_bytes;
	uint64_t	 stored_bytes;
	unsigned char	 sha256[32];
	int64_t		 started;
	int64_t		 finished;
	uint32_t	 ntables;	/* TABLES entries that follow */
};

struct msg_done {
	uint32_t	 code;		/* CAIRN_E_* */
	char		 message[256];
};

/* maint: ITEM, one artifact to verify or one file to remove. */
enum item_op {
	ITEM_VERIFY = 1,
	ITEM_UNLINK,
	ITEM_UPLOAD,		/* upload worker: copy name to the remote */
	ITEM_REMOTE_CHECK,	/* upload worker: HEAD name's remote copy */
	ITEM_REMOTE_DELETE,	/* upload worker: delete name's remote copy */
	ITEM_REMOTE_LIST,	/* upload worker: list PREFIX JOB/ (name: JOB) */
};

struct msg_item {
	uint32_t	 index;		/* 0, 1, 2, ... in the order sent */
	uint8_t		 op;		/* enum item_op */
	char		 name[256];	/* a file name in the job folder */
	char		 sha256_hex[65];	/* expected; "": not checked */
	int64_t		 raw_bytes;	/* expected; -1: not checked */
	int64_t		 stored_bytes;	/* expected; -1: not checked */
	uint32_t	 ntables;	/* TABLES entries that follow */
};

/*
 * maint: RESULT, the worker's answer to ITEM number index.  For an
 * ITEM_UPLOAD that succeeded, message is the object's ETag, sha256_hex the
 * x-amz-meta-sha256 and stored_bytes the size its HEAD reported.
 * ITEM_REMOTE_LIST is answered with one RESULT per object under PREFIX JOB/
 * that no other ITEM of the run names (failed = 1, message: its name
 * after PREFIX JOB/, stored_bytes: its size), then one last RESULT
 * (failed = 0) with the listing's outcome.
 */
struct msg_result {
	uint32_t	 index;
	uint32_t	 code;		/* CAIRN_E_* */
	uint32_t	 failed;	/* verify: 1u << enum verify_check */
	uint32_t	 ran;		/* verify: checks that ran */
	char		 message[256];	/* "ok", or the first failure */
	char		 sha256_hex[65];	/* verify: the file's; "" none */
	uint64_t	 raw_bytes;
	uint64_t	 stored_bytes;
};

/* The receiver's view of the order rules. */
struct frame_seq {
	enum frame_dir	 dir;
	int		 state;
	uint32_t	 tables_left;
	uint32_t	 artifacts;
	uint32_t	 last_seq;
};

void	 frame_hdr_pack(unsigned char *wire, const struct frame_hdr *);
int	 frame_hdr_unpack(struct frame_hdr *, const unsigned char *wire);
const char *frame_type_name(unsigned);

void	 frame_seq_init(struct frame_seq *, enum frame_dir);
/* Before the payload: direction, size bounds and order. */
int	 frame_seq_admit(struct frame_seq *, const struct frame_hdr *);
/* After the payload: counts announced by ARTIFACT and carried by TABLES. */
int	 frame_seq_payload(struct frame_seq *, const struct frame_hdr *,
	    const unsigned char *payload);
/* Has the peer sent DONE? */
int	 frame_seq_done(const struct frame_seq *);

ssize_t	 frame_encode_hello(unsigned char *, size_t, const struct msg_hello *);
int	 frame_decode_hello(const unsigned char *, size_t, struct msg_hello *);
ssize_t	 frame_encode_job(unsigned char *, size_t, const struct frame_job *);
/* Fills *out (caller frees with frame_job_free(), also after an error). */
int	 frame_decode_job(const unsigned char *, size_t, struct frame_job *out);
void	 frame_job_free(struct frame_job *);
ssize_t	 frame_encode_heartbeat(unsigned char *, size_t,
	    const struct job_progress *);
int	 frame_decode_heartbeat(const unsigned char *, size_t,
	    struct job_progress *);
ssize_t	 frame_encode_log(unsigned char *, size_t, int level, const char *);
int	 frame_decode_log(const unsigned char *, size_t, struct msg_log *);
ssize_t	 frame_encode_artifact(unsigned char *, size_t,
	    const struct msg_artifact *);
int	 frame_decode_artifact(const unsigned char *, size_t,
	    struct msg_artifact *);
/* n <= FRAME_TABLES_PER_FRAME entries. */
ssize_t	 frame_encode_tables(unsigned char *, size_t,
	    const struct table_stat *, size_t n);
/* Up to max entries into out; *n gets the count. */
int	 frame_decode_tables(const unsigned char *, size_t,
	    struct table_stat *out, size_t max, size_t *n);
ssize_t	 frame_encode_done(unsigned char *, size_t, const struct msg_done *);
int	 frame_decode_done(const unsigned char *, size_t, struct msg_done *);

/* maint: ITEM, RESULT (END has no payload). */
ssize_t	 frame_encode_item(unsigned char *, size_t, const struct msg_item *);
int	 frame_decode_item(const unsigned char *, size_t, struct msg_item *);
ssize_t	 frame_encode_result(unsigned char *, size_t,
	    const struct msg_result *);
int	 frame_decode_result(const unsigned char *, size_t,
	    struct msg_result *);

const char *frame_fault_name(unsigned);
/* "hang" -> FAULT_HANG; -1 if unknown. */
int	 frame_fault_parse(const char *);

#endif /* CAIRN_FRAME_H */
