/* frame.c -- see frame.h */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/frame.h"
#include "cairn/log.h"

#define STR_NULL	0xffff		/* length of an absent string */

/*
 * The rules: who may send a type, its payload bounds, and the receiver
 * states it may arrive in.  Anything not in this table is refused.
 */
enum seq_state {
	ST_START = 1 << 0,	/* nothing received yet */
	ST_GREETED = 1 << 1,	/* worker: HELLO seen, waiting for JOB */
	ST_JOB = 1 << 2,	/* worker: JOB seen; nothing more may come */
	ST_RUN = 1 << 3,	/* supervisor: HELLO seen */
	ST_TABLES = 1 << 4,	/* supervisor: TABLES owed after ARTIFACT */
	ST_DONE = 1 << 5,	/* supervisor: DONE seen; nothing more */
	ST_ITABLES = 1 << 6,	/* worker: TABLES owed after ITEM */
	ST_END = 1 << 7,	/* worker: END seen; nothing more */
};

static const struct frame_rule {
	const char	*name;
	enum frame_dir	 dir;
	uint32_t	 min_len;
	uint32_t	 max_len;
	int		 from;		/* states it may arrive in */
	int		 flags;		/* allowed header flags */
} frame_rules[MSG_TYPE_MAX] = {
	[MSG_HELLO] =	  { "hello", 0, 12, 12, ST_START, 0 },
	[MSG_JOB] =	  { "job", FRAME_TO_WORKER, 16, FRAME_MAX_PAYLOAD,
			    ST_GREETED, FRAME_F_FD },
	[MSG_HEARTBEAT] = { "heartbeat", FRAME_TO_SUP, 34, 34 + 191,
			    ST_RUN | ST_TABLES, 0 },
	[MSG_LOG] =	  { "log", FRAME_TO_SUP, 3, 3 + FRAME_LOG_MAX,
			    ST_RUN | ST_TABLES, 0 },
	[MSG_ARTIFACT] =  { "artifact", FRAME_TO_SUP, 2 + 1 + 16 + 32 + 16 + 4,
			    2 + 255 + 16 + 32 + 16 + 4, ST_RUN, 0 },
	[MSG_TABLES] =	  { "tables", 0, 2,
			    2 + FRAME_TABLES_PER_FRAME * (2 + 191 + 17),
			    ST_TABLES | ST_ITABLES, 0 },
	[MSG_DONE] =	  { "done", FRAME_TO_SUP, 6, 6 + 255, ST_RUN, 0 },
	/* maint: verify and prune workers */
	[MSG_ITEM] =	  { "item", FRAME_TO_WORKER, 4 + 1 + 2 + 2 + 16 + 4,
			    4 + 1 + 2 + 255 + 2 + 64 + 16 + 4, ST_JOB, 0 },
	[MSG_END] =	  { "end", FRAME_TO_WORKER, 0, 0, ST_JOB, 0 },
	[MSG_RESULT] =	  { "result", FRAME_TO_SUP, 16 + 2 + 2 + 16,
			    16 + 2 + 255 + 2 + 64 + 16, ST_RUN, 0 },
};

static const char *const fault_names[FAULT_MAX] = {
	[FAULT_NONE] = "none",
	[FAULT_HANG] = "hang",
	[FAULT_CRASH] = "crash",
	[FAULT_GARBAGE] = "garbage",
	[FAULT_OVERSIZE] = "oversize",
	[FAULT_EXECVE] = "execve",
	[FAULT_SLOW] = "slow",
};

/* -- big-endian fields ----------------------------------------------- */

static void
be16_put(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
be32_put(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t
be16_get(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32_get(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* -- header ------------------------------------------------------------ */

void
frame_hdr_pack(unsigned char *w, const struct frame_hdr *h)
{
	w[0] = h->version;
	w[1] = h->type;
	be16_put(w + 2, h->flags);
	be32_put(w + 4, h->len);
	be32_put(w + 8, h->gen);
	be32_put(w + 12, h->seq);
}

int
frame_hdr_unpack(struct frame_hdr *h, const unsigned char *w)
{
	h->version = w[0];
	h->type = w[1];
	h->flags = be16_get(w + 2);
	h->len = be32_get(w + 4);
	h->gen = be32_get(w + 8);
	h->seq = be32_get(w + 12);
	if (h->version != CAIRN_PROTO_VERSION) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (h->type == 0 || h->type >= MSG_TYPE_MAX ||
	    (h->flags & ~FRAME_F_FD) != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (h->len > FRAME_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

const char *
frame_type_name(unsigned type)
{
	if (type == 0 || type >= MSG_TYPE_MAX)
		return "unknown";
	return frame_rules[type].name;
}

/* -- order ------------------------------------------------------------- */

void
frame_seq_init(struct frame_seq *s, enum frame_dir dir)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->state = ST_START;
}

int
frame_seq_admit(struct frame_seq *s, const struct frame_hdr *h)
{
	const struct frame_rule	*r;

	if (h->type == 0 || h->type >= MSG_TYPE_MAX)
		goto bad;
	r = &frame_rules[h->type];
	if ((r->dir != 0 && r->dir != s->dir) || (r->from & s->state) == 0 ||
	    h->len < r->min_len || h->len > r->max_len ||
	    (h->flags & ~r->flags) != 0 || h->seq != s->last_seq + 1)
		goto bad;
	s->last_seq = h->seq;
	switch (h->type) {
	case MSG_HELLO:
		s->state = s->dir == FRAME_TO_WORKER ? ST_GREETED : ST_RUN;
		break;
	case MSG_JOB:
		s->state = ST_JOB;
		break;
	case MSG_DONE:
		s->state = ST_DONE;
		break;
	case MSG_END:
		s->state = ST_END;
		break;
	default:
		break;
	}
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int
frame_seq_payload(struct frame_seq *s, const struct frame_hdr *h,
    const unsigned char *p)
{
	uint32_t	 n;

	switch (h->type) {
	case MSG_ARTIFACT:
		if (s->state != ST_RUN || s->artifacts != 0)
			goto bad;
		n = be32_get(p + h->len - 4);
		if (n > FRAME_TABLES_MAX)
			goto bad;
		s->artifacts++;
		s->tables_left = n;
		s->state = n > 0 ? ST_TABLES : ST_RUN;
		return 0;
	case MSG_TABLES:
		n = be16_get(p);
		if (n == 0 || n > s->tables_left)
			goto bad;
		s->tables_left -= n;
		if (s->tables_left == 0)
			s->state = s->dir == FRAME_TO_WORKER ? ST_JOB : ST_RUN;
		return 0;
	case MSG_ITEM:
		/* maint: like ARTIFACT, the table count is the last field */
		n = be32_get(p + h->len - 4);
		if (s->state != ST_JOB || n > FRAME_TABLES_MAX)
			goto bad;
		s->tables_left = n;
		s->state = n > 0 ? ST_ITABLES : ST_JOB;
		return 0;
	default:
		return 0;
	}
bad:
	errno = EPROTO;
	return -1;
}

int
frame_seq_done(const struct frame_seq *s)
{
	return s->state == ST_DONE;
}

/* -- payload builder and reader ---------------------------------------- */

struct wbuf {
	unsigned char	*p;
	size_t		 cap;
	size_t		 len;
	int		 full;
};

struct rbuf {
	const unsigned char *p;
	size_t		 len;
	size_t		 off;
	int		 bad;
};

static unsigned char *
w_room(struct wbuf *w, size_t n)
{
	unsigned char	*at;

	if (w->full || n > w->cap - w->len || w->len + n > FRAME_MAX_PAYLOAD) {
		w->full = 1;
		return NULL;
	}
	at = w->p + w->len;
	w->len += n;
	return at;
}

static void
w_u8(struct wbuf *w, uint8_t v)
{
	unsigned char	*p;

	if ((p = w_room(w, 1)) != NULL)
		p[0] = v;
}

static void
w_u16(struct wbuf *w, uint16_t v)
{
	unsigned char	*p;

	if ((p = w_room(w, 2)) != NULL)
		be16_put(p, v);
}

static void
w_u32(struct wbuf *w, uint32_t v)
{
	unsigned char	*p;

	if ((p = w_room(w, 4)) != NULL)
		be32_put(p, v);
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	w_u32(w, v >> 32);
	w_u32(w, (uint32_t)v);
}

static void
w_bytes(struct wbuf *w, const void *b, size_t n)
{
	unsigned char	*p;

	if ((p = w_room(w, n)) != NULL && n > 0)
		memcpy(p, b, n);
}

/* A string: u16 length (STR_NULL: absent) and its bytes, no NUL. */
static void
w_str(struct wbuf *w, const char *s, size_t max)
{
	size_t	 n;

	if (s == NULL) {
		w_u16(w, STR_NULL);
		return;
	}
	if ((n = strlen(s)) > max) {
		w->full = 1;
		return;
	}
	w_u16(w, (uint16_t)n);
	w_bytes(w, s, n);
}

/* A NULL-terminated list: u16 count, then strings. */
static void
w_list(struct wbuf *w, char *const *list)
{
	size_t	 n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	if (n > FRAME_LIST_MAX) {
		w->full = 1;
		return;
	}
	w_u16(w, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		w_str(w, list[i], FRAME_STR_MAX);
}

static ssize_t
w_end(struct wbuf *w)
{
	if (w->full) {
		errno = EMSGSIZE;
		return -1;
	}
	return (ssize_t)w->len;
}

static const unsigned char *
r_take(struct rbuf *r, size_t n)
{
	const unsigned char	*at;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

static uint8_t
r_u8(struct rbuf *r)
{
	const unsigned char	*p = r_take(r, 1);

	return p != NULL ? p[0] : 0;
}

static uint16_t
r_u16(struct rbuf *r)
{
	const unsigned char	*p = r_take(r, 2);

	return p != NULL ? be16_get(p) : 0;
}

static uint32_t
r_u32(struct rbuf *r)
{
	const unsigned char	*p = r_take(r, 4);

	return p != NULL ? be32_get(p) : 0;
}

static uint64_t
r_u64(struct rbuf *r)
{
	uint64_t	 hi = r_u32(r);

	return hi << 32 | r_u32(r);
}

/* A bounded value: out of [lo, hi] makes the payload bad. */
static uint32_t
r_u32_in(struct rbuf *r, uint32_t lo, uint32_t hi)
{
	uint32_t	 v = r_u32(r);

	if (v < lo || v > hi)
		r->bad = 1;
	return v;
}

/*
 * The bytes of a string after checking its length and content; *lenp gets
 * its length, *absent whether it was NULL.
 */
static const unsigned char *
r_strbytes(struct rbuf *r, size_t max, size_t *lenp, int *absent)
{
	const unsigned char	*p;
	uint16_t		 n;

	*absent = 0;
	*lenp = 0;
	n = r_u16(r);
	if (r->bad)
		return NULL;
	if (n == STR_NULL) {
		*absent = 1;
		return NULL;
	}
	if (n > max || (p = r_take(r, n)) == NULL ||
	    memchr(p, '\0', n) != NULL) {
		r->bad = 1;
		return NULL;
	}
	*lenp = n;
	return p;
}

/* Into a fixed buffer of size cap (cap - 1 bytes at most); NULL not allowed. */
static void
r_strbuf(struct rbuf *r, char *out, size_t cap)
{
	const unsigned char	*p;
	size_t			 n;
	int			 absent;

	out[0] = '\0';
	p = r_strbytes(r, cap - 1, &n, &absent);
	if (absent)
		r->bad = 1;
	if (p == NULL)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* A new string (or NULL when absent). */
static char *
r_strdup(struct rbuf *r)
{
	const unsigned char	*p;
	size_t			 n;
	int			 absent;
	char			*s;

	p = r_strbytes(r, FRAME_STR_MAX, &n, &absent);
	if (p == NULL)
		return NULL;
	if ((s = malloc(n + 1)) == NULL) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static char **
r_list(struct rbuf *r)
{
	uint16_t	 n;
	char		**list;

	n = r_u16(r);
	if (r->bad || n > FRAME_LIST_MAX || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	if ((list = calloc((size_t)n + 1, sizeof(*list))) == NULL) {
		r->bad = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		list[i] = r_strdup(r);
		if (list[i] == NULL)
			r->bad = 1;
		if (r->bad)
			break;
	}
	return list;
}

static int
r_end(struct rbuf *r)
{
	if (r->bad || r->off != r->len) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

#define WBUF(buf, cap)	{ .p = (buf), .cap = (cap) }
#define RBUF(buf, len)	{ .p = (buf), .len = (len) }

/* -- HELLO ------------------------------------------------------------- */

ssize_t
frame_encode_hello(unsigned char *buf, size_t cap, const struct msg_hello *m)
{
	struct wbuf	 w = WBUF(buf, cap);

	w_u32(&w, m->proto);
	w_u32(&w, m->pid);
	w_u32(&w, m->gen);
	return w_end(&w);
}

int
frame_decode_hello(const unsigned char *buf, size_t len, struct msg_hello *m)
{
	struct rbuf	 r = RBUF(buf, len);

	m->proto = r_u32_in(&r, CAIRN_PROTO_VERSION, CAIRN_PROTO_VERSION);
	m->pid = r_u32(&r);
	m->gen = r_u32(&r);
	return r_end(&r);
}

/* -- JOB --------------------------------------------------------------- */

ssize_t
frame_encode_job(unsigned char *buf, size_t cap, const struct frame_job *f)
{
	struct wbuf		 w = WBUF(buf, cap);
	const struct job_conf	*j = &f->job;

	w_u32(&w, j->kind);
	w_str(&w, j->name, 255);
	w_u32(&w, j->compression);
	w_u32(&w, (uint32_t)j->compression_level);
	w_u32(&w, (uint32_t)j->compression_threads);
	w_str(&w, j->path, FRAME_STR_MAX);
	w_str(&w, j->db.host, FRAME_STR_MAX);
	w_u32(&w, (uint32_t)j->db.port);
	w_str(&w, j->db.socket, FRAME_STR_MAX);
	w_str(&w, j->db.user, FRAME_STR_MAX);
	w_u32(&w, j->db.ssl_mode);
	w_str(&w, j->db.ssl_ca, FRAME_STR_MAX);
	w_str(&w, j->db.ssl_cert, FRAME_STR_MAX);
	w_str(&w, j->db.ssl_key, FRAME_STR_MAX);
	w_u32(&w, (uint32_t)j->db.connect_timeout);
	w_u32(&w, (uint32_t)j->db.read_timeout);
	w_list(&w, j->databases);
	w_list(&w, j->exclude_tables);
	w_u32(&w, (uint32_t)j->lock_wait_timeout);
	w_u32(&w, (uint32_t)j->connect_retry);
	w_u8(&w, j->checksum);
	w_u8(&w, j->dump_grants);
	w_str(&w, f->dir, FRAME_STR_MAX);
	w_str(&w, f->password, FRAME_STR_MAX);
	w_u64(&w, (uint64_t)f->started);
	w_u32(&w, f->first_run);
	w_u32(&w, f->file_mode);
	w_u32(&w, f->heartbeat_interval);
	w_u32(&w, f->heartbeat_timeout);
	w_u32(&w, f->fault);
	w_u32(&w, (uint32_t)f->retention.days);
	w_u32(&w, (uint32_t)f->retention.keep_min);
	w_u32(&w, (uint32_t)f->retention.keep_daily);
	w_u32(&w, (uint32_t)f->retention.keep_weekly);
	w_u32(&w, (uint32_t)f->retention.keep_monthly);
	w_u32(&w, f->verify_restore_test);
	w_list(&w, j->age_recipients);
	w_str(&w, f->age_identity, FRAME_STR_MAX);
	w_str(&w, f->s3.endpoint, FRAME_STR_MAX);
	w_str(&w, f->s3.region, FRAME_STR_MAX);
	w_str(&w, f->s3.bucket, FRAME_STR_MAX);
	w_str(&w, f->s3.prefix, FRAME_STR_MAX);
	w_str(&w, f->s3.access_key, FRAME_STR_MAX);
	w_str(&w, f->s3.secret_key, FRAME_STR_MAX);
	w_str(&w, f->s3.storage_class, FRAME_STR_MAX);
	w_u32(&w, f->s3.path_style);
	w_u32(&w, f->s3.part_size);
	w_u32(&w, f->s3.concurrency);
	w_u64(&w, f->s3.bandwidth_limit);
	w_u32(&w, f->s3.verify_download);
	return w_end(&w);
}

int
frame_decode_job(const unsigned char *buf, size_t len, struct frame_job *f)
{
	struct rbuf	 r = RBUF(buf, len);
	struct job_conf	*j = &f->job;
	const int32_t	 big = 1 << 30;

	memset(f, 0, sizeof(*f));
	j->kind = r_u32_in(&r, JOB_MYSQL, JOB_KIND_MAX - 1);
	j->name = r_strdup(&r);
	j->compression = r_u32_in(&r, COMPRESS_GZIP, COMPRESS_NONE);
	j->compression_level = (int)r_u32_in(&r, 0, 22);
	j->compression_threads = (int)r_u32_in(&r, 0, 1024);
	j->path = r_strdup(&r);
	j->db.host = r_strdup(&r);
	j->db.port = (int)r_u32_in(&r, 0, 65535);
	j->db.socket = r_strdup(&r);
	j->db.user = r_strdup(&r);
	j->db.ssl_mode = r_u32_in(&r, SSL_MODE_DISABLED,
	    SSL_MODE_VERIFY_IDENTITY);
	j->db.ssl_ca = r_strdup(&r);
	j->db.ssl_cert = r_strdup(&r);
	j->db.ssl_key = r_strdup(&r);
	j->db.connect_timeout = (int)r_u32_in(&r, 0, big);
	j->db.read_timeout = (int)r_u32_in(&r, 0, big);
	j->databases = r_list(&r);
	j->exclude_tables = r_list(&r);
	j->lock_wait_timeout = (int)r_u32_in(&r, 0, big);
	j->connect_retry = (int)r_u32_in(&r, 0, big);
	j->checksum = r_u8(&r) != 0;
	j->dump_grants = r_u8(&r) != 0;
	f->dir = r_strdup(&r);
	f->password = r_strdup(&r);
	f->started = (int64_t)r_u64(&r);
	f->first_run = r_u32_in(&r, 0, 1);
	f->file_mode = r_u32_in(&r, 0, 0777);
	f->heartbeat_interval = r_u32_in(&r, 1, 86400);
	f->heartbeat_timeout = r_u32_in(&r, 1, 86400);
	f->fault = r_u32_in(&r, FAULT_NONE, FAULT_MAX - 1);
	f->retention.days = (int)r_u32_in(&r, 0, big);
	f->retention.keep_min = (int)r_u32_in(&r, 0, big);
	f->retention.keep_daily = (int)r_u32_in(&r, 0, big);
	f->retention.keep_weekly = (int)r_u32_in(&r, 0, big);
	f->retention.keep_monthly = (int)r_u32_in(&r, 0, big);
	f->verify_restore_test = r_u32_in(&r, 0, 1);
	j->age_recipients = r_list(&r);
	f->age_identity = r_strdup(&r);
	f->s3.endpoint = r_strdup(&r);
	f->s3.region = r_strdup(&r);
	f->s3.bucket = r_strdup(&r);
	f->s3.prefix = r_strdup(&r);
	f->s3.access_key = r_strdup(&r);
	f->s3.secret_key = r_strdup(&r);
	f->s3.storage_class = r_strdup(&r);
	f->s3.path_style = r_u32_in(&r, 0, 1);
	f->s3.part_size = r_u32_in(&r, 0, 1u << 30);
	f->s3.concurrency = r_u32_in(&r, 0, 64);
	f->s3.bandwidth_limit = r_u64(&r);
	f->s3.verify_download = r_u32_in(&r, 0, 1);
	if (!r.bad && j->kind == JOB_UPLOAD && (f->s3.endpoint == NULL ||
	    f->s3.region == NULL || f->s3.bucket == NULL ||
	    f->s3.prefix == NULL || f->s3.access_key == NULL ||
	    f->s3.secret_key == NULL || f->s3.part_size == 0 ||
	    f->s3.concurrency == 0))
		r.bad = 1;
	if (!r.bad && (j->name == NULL || !conf_job_name_ok(j->name) ||
	    f->dir == NULL || f->dir[0] != '/'))
		r.bad = 1;
	return r_end(&r);
}

static void
list_free(char **list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

void
frame_job_free(struct frame_job *f)
{
	struct job_conf	*j = &f->job;

	free(j->name);
	free(j->path);
	free(j->db.host);
	free(j->db.socket);
	free(j->db.user);
	free(j->db.ssl_ca);
	free(j->db.ssl_cert);
	free(j->db.ssl_key);
	list_free(j->databases);
	list_free(j->exclude_tables);
	list_free(j->age_recipients);
	free(f->dir);
	if (f->age_identity != NULL) {
		explicit_bzero(f->age_identity, strlen(f->age_identity));
		free(f->age_identity);
	}
	if (f->password != NULL) {
		explicit_bzero(f->password, strlen(f->password));
		free(f->password);
	}
	free(f->s3.endpoint);
	free(f->s3.region);
	free(f->s3.bucket);
	free(f->s3.prefix);
	free(f->s3.access_key);
	if (f->s3.secret_key != NULL) {
		explicit_bzero(f->s3.secret_key, strlen(f->s3.secret_key));
		free(f->s3.secret_key);
	}
	free(f->s3.storage_class);
	memset(f, 0, sizeof(*f));
}

/* -- HEARTBEAT, LOG ---------------------------------------------------- */

ssize_t
frame_encode_heartbeat(unsigned char *buf, size_t cap,
    const struct job_progress *p)
{
	struct wbuf	 w = WBUF(buf, cap);

	w_u64(&w, p->bytes_in);
	w_u64(&w, p->bytes_out);
	w_u64(&w, p->items_done);
	w_u64(&w, p->items_total);
	w_str(&w, p->current, sizeof(p->current) - 1);
	return w_end(&w);
}

int
frame_decode_heartbeat(const unsigned char *buf, size_t len,
    struct job_progress *p)
{
	struct rbuf	 r = RBUF(buf, len);

	p->bytes_in = r_u64(&r);
	p->bytes_out = r_u64(&r);
	p->items_done = r_u64(&r);
	p->items_total = r_u64(&r);
	r_strbuf(&r, p->current, sizeof(p->current));
	return r_end(&r);
}

ssize_t
frame_encode_log(unsigned char *buf, size_t cap, int level, const char *msg)
{
	struct wbuf	 w = WBUF(buf, cap);
	size_t		 n = strnlen(msg, FRAME_LOG_MAX);

	w_u8(&w, (uint8_t)level);
	w_u16(&w, (uint16_t)n);		/* long messages are cut, not refused */
	w_bytes(&w, msg, n);
	return w_end(&w);
}

int
frame_decode_log(const unsigned char *buf, size_t len, struct msg_log *m)
{
	struct rbuf	 r = RBUF(buf, len);

	m->level = r_u8(&r);
	if (m->level > LOG_LVL_ERR)
		r.bad = 1;
	r_strbuf(&r, m->text, sizeof(m->text));
	return r_end(&r);
}

/* -- ARTIFACT, TABLES, DONE -------------------------------------------- */

ssize_t
frame_encode_artifact(unsigned char *buf, size_t cap,
    const struct msg_artifact *a)
{
	struct wbuf	 w = WBUF(buf, cap);

	w_str(&w, a->name, sizeof(a->name) - 1);
	w_u64(&w, a->raw_bytes);
	w_u64(&w, a->stored_bytes);
	w_bytes(&w, a->sha256, sizeof(a->sha256));
	w_u64(&w, (uint64_t)a->started);
	w_u64(&w, (uint64_t)a->finished);
	w_u32(&w, a->ntables);		/* last: frame_seq_payload() reads it */
	return w_end(&w);
}

int
frame_decode_artifact(const unsigned char *buf, size_t len,
    struct msg_artifact *a)
{
	struct rbuf		 r = RBUF(buf, len);
	const unsigned char	*p;

	r_strbuf(&r, a->name, sizeof(a->name));
	a->raw_bytes = r_u64(&r);
	a->stored_bytes = r_u64(&r);
	if ((p = r_take(&r, sizeof(a->sha256))) != NULL)
		memcpy(a->sha256, p, sizeof(a->sha256));
	a->started = (int64_t)r_u64(&r);
	a->finished = (int64_t)r_u64(&r);
	a->ntables = r_u32_in(&r, 0, FRAME_TABLES_MAX);
	/* a plain name in the job folder: never a path, never hidden */
	if (!r.bad && (a->name[0] == '\0' || a->name[0] == '.' ||
	    strchr(a->name, '/') != NULL))
		r.bad = 1;
	return r_end(&r);
}

ssize_t
frame_encode_tables(unsigned char *buf, size_t cap,
    const struct table_stat *t, size_t n)
{
	struct wbuf	 w = WBUF(buf, cap);

	if (n == 0 || n > FRAME_TABLES_PER_FRAME) {
		errno = EMSGSIZE;
		return -1;
	}
	w_u16(&w, (uint16_t)n);		/* first: frame_seq_payload() reads it */
	for (size_t i = 0; i < n; i++) {
		w_str(&w, t[i].name, sizeof(t[i].name) - 1);
		w_u64(&w, t[i].rows);
		w_u8(&w, t[i].has_checksum != 0);
		w_u64(&w, t[i].checksum);
	}
	return w_end(&w);
}

int
frame_decode_tables(const unsigned char *buf, size_t len,
    struct table_stat *out, size_t max, size_t *np)
{
	struct rbuf	 r = RBUF(buf, len);
	uint16_t	 n;

	*np = 0;
	n = r_u16(&r);
	if (n == 0 || n > FRAME_TABLES_PER_FRAME || n > max)
		r.bad = 1;
	for (size_t i = 0; i < n && !r.bad; i++) {
		r_strbuf(&r, out[i].name, sizeof(out[i].name));
		out[i].rows = r_u64(&r);
		out[i].has_checksum = r_u8(&r);
		if (out[i].has_checksum > 1)
			r.bad = 1;
		out[i].checksum = r_u64(&r);
	}
	if (r_end(&r) == -1)
		return -1;
	*np = n;
	return 0;
}

ssize_t
frame_encode_done(unsigned char *buf, size_t cap, const struct msg_done *d)
{
	struct wbuf	 w = WBUF(buf, cap);

	w_u32(&w, d->code);
	w_str(&w, d->message, sizeof(d->message) - 1);
	return w_end(&w);
}

int
frame_decode_done(const unsigned char *buf, size_t len, struct msg_done *d)
{
	struct rbuf	 r = RBUF(buf, len);

	d->code = r_u32_in(&r, 0, 255);
	r_strbuf(&r, d->message, sizeof(d->message));
	return r_end(&r);
}

/* -- maint: ITEM and RESULT (verify and prune workers) ------------------ */

/* A plain file name in one folder: not a path, not "." or "..". */
static int
item_name_ok(const char *n)
{
	return n[0] != '\0' && strchr(n, '/') == NULL && strcmp(n, ".") != 0 &&
	    strcmp(n, "..") != 0;
}

/* "" or 64 lowercase hex digits. */
static int
sha_hex_ok(const char *h)
{
	size_t	 n = strlen(h);

	if (n != 0 && n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' &&
		    h[i] <= 'f')))
			return 0;
	return 1;
}

ssize_t
frame_encode_item(unsigned char *buf, size_t cap, const struct msg_item *m)
{
	struct wbuf	 w = WBUF(buf, cap);

	w_u32(&w, m->index);
	w_u8(&w, m->op);
	w_str(&w, m->name, sizeof(m->name) - 1);
	w_str(&w, m->sha256_hex, 64);
	w_u64(&w, (uint64_t)m->raw_bytes);
	w_u64(&w, (uint64_t)m->stored_bytes);
	w_u32(&w, m->ntables);	/* last: frame_seq_payload() reads it */
	return w_end(&w);
}

int
frame_decode_item(const unsigned char *buf, size_t len, struct msg_item *m)
{
	struct rbuf	 r = RBUF(buf, len);

	m->index = r_u32(&r);
	m->op = r_u8(&r);
	if (m->op != ITEM_VERIFY && m->op != ITEM_UNLINK &&
	    m->op != ITEM_UPLOAD && m->op != ITEM_REMOTE_CHECK &&
	    m->op != ITEM_REMOTE_DELETE && m->op != ITEM_REMOTE_LIST)
		r.bad = 1;
	r_strbuf(&r, m->name, sizeof(m->name));
	r_strbuf(&r, m->sha256_hex, sizeof(m->sha256_hex));
	m->raw_bytes = (int64_t)r_u64(&r);
	m->stored_bytes = (int64_t)r_u64(&r);
	m->ntables = r_u32_in(&r, 0, FRAME_TABLES_MAX);
	if (!r.bad && (!item_name_ok(m->name) || !sha_hex_ok(m->sha256_hex) ||
	    m->raw_bytes < -1 || m->stored_bytes < -1))
		r.bad = 1;
	return r_end(&r);
}

ssize_t
frame_encode_result(unsigned char *buf, size_t cap,
    const struct msg_result *m)
{
	struct wbuf	 w = WBUF(buf, cap);

	w_u32(&w, m->index);
	w_u32(&w, m->code);
	w_u32(&w, m->failed);
	w_u32(&w, m->ran);
	w_str(&w, m->message, sizeof(m->message) - 1);
	w_str(&w, m->sha256_hex, 64);
	w_u64(&w, m->raw_bytes);
	w_u64(&w, m->stored_bytes);
	return w_end(&w);
}

int
frame_decode_result(const unsigned char *buf, size_t len,
    struct msg_result *m)
{
	struct rbuf	 r = RBUF(buf, len);

	m->index = r_u32(&r);
	m->code = r_u32_in(&r, 0, 255);
	m->failed = r_u32_in(&r, 0, 0xffff);
	m->ran = r_u32_in(&r, 0, 0xffff);
	r_strbuf(&r, m->message, sizeof(m->message));
	r_strbuf(&r, m->sha256_hex, sizeof(m->sha256_hex));
	m->raw_bytes = r_u64(&r);
	m->stored_bytes = r_u64(&r);
	if (!r.bad && !sha_hex_ok(m->sha256_hex))
		r.bad = 1;
	return r_end(&r);
}

/* -- fault names ------------------------------------------------------- */

const char *
frame_fault_name(unsigned f)
{
	return f < FAULT_MAX ? fault_names[f] : "unknown";
}

int
frame_fault_parse(const char *s)
{
	for (int i = 0; i < FAULT_MAX; i++)
		if (strcmp(s, fault_names[i]) == 0)
			return i;
	return -1;
}
