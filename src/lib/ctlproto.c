/*
 * ctlproto.c -- the control protocol's encoding, the blocking client, and
 * the status snapshot's assessment and formatting (see cairn/ctl.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/ctlproto.h"
#include "cairn/errors.h"
#include "cairn/util.h"

/* -- buffers ------------------------------------------------------------ */

void
ctl_buf_add(struct buf *b, const char *s, size_t n)
{
	buf_add_max(b, s, n, CTL_REPLY_MAX);
}

void
ctl_buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	buf_vprintf_max(b, CTL_REPLY_MAX, fmt, ap);
}

void
ctl_buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
ctl_buf_json_str(struct buf *b, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			 esc[8];

	if (s == NULL) {
		ctl_buf_add(b, "null", 4);
		return;
	}
	ctl_buf_add(b, "\"", 1);
	for (; *u != '\0'; u++) {
		switch (*u) {
		case '"':	ctl_buf_add(b, "\\\"", 2); break;
		case '\\':	ctl_buf_add(b, "\\\\", 2); break;
		case '\n':	ctl_buf_add(b, "\\n", 2); break;
		case '\r':	ctl_buf_add(b, "\\r", 2); break;
		case '\t':	ctl_buf_add(b, "\\t", 2); break;
		default:
			if (*u < 0x20 || *u == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *u);
				ctl_buf_add(b, esc, 6);
			} else
				ctl_buf_add(b, (const char *)u, 1);
		}
	}
	ctl_buf_add(b, "\"", 1);
}

void
ctl_buf_text(struct buf *b, const char *s)
{
	char	 chunk[256], tmp[4 * sizeof(chunk)];
	size_t	 take;

	/* in pieces that escape in full: 4 bytes at most per byte */
	while (*s != '\0') {
		take = strnlen(s, sizeof(chunk) - 1);
		memcpy(chunk, s, take);
		chunk[take] = '\0';
		ctl_buf_add(b, tmp, util_vis(tmp, sizeof(tmp), chunk));
		s += take;
	}
}

void
ctl_buf_json_time(struct buf *b, time_t t)
{
	char	 ts[32];

	if (t <= 0) {
		ctl_buf_add(b, "null", 4);
		return;
	}
	util_utc_stamp(ts, sizeof(ts), t);
	ctl_buf_json_str(b, ts);
}

/* -- wire --------------------------------------------------------------- */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
ctl_hdr_pack(unsigned char *w, const struct ctl_hdr *h)
{
	memcpy(w, h->magic, 4);
	put32(w + 4, h->version);
	put32(w + 8, h->word);
	put32(w + 12, h->length);
}

void
ctl_hdr_unpack(struct ctl_hdr *h, const unsigned char *w)
{
	memcpy(h->magic, w, 4);
	h->version = get32(w + 4);
	h->word = get32(w + 8);
	h->length = get32(w + 12);
}

int
ctl_request_pack(uint32_t flags, int argc, char *const argv[],
    unsigned char **out, size_t *outlen)
{
	struct ctl_hdr	 h;
	unsigned char	*w;
	size_t		 len = 0, off;

	if (argc < 1 || argv[0] == NULL || argv[0][0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (argc > CTL_ARGS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		len += strlen(argv[i]) + 1;
		if (len > CTL_REQ_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	w = xmalloc(CTL_HDR_LEN + len);
	memcpy(h.magic, CTL_REQ_MAGIC, 4);
	h.version = CTL_PROTO_VERSION;
	h.word = flags;
	h.length = (uint32_t)len;
	ctl_hdr_pack(w, &h);
	off = CTL_HDR_LEN;
	for (int i = 0; i < argc; i++) {
		size_t	 n = strlen(argv[i]) + 1;

		memcpy(w + off, argv[i], n);
		off += n;
	}
	*out = w;
	*outlen = off;
	return 0;
}

void
ctl_version_message(char *out, size_t len, uint32_t daemon, uint32_t client)
{
	snprintf(out, len, "cairnd speaks protocol %u, this cairnctl speaks "
	    "%u: install matching versions of cairnd and cairnctl",
	    daemon, client);
}

int
ctl_request_check(const struct ctl_hdr *h, size_t *len, char *err,
    size_t errlen)
{
	if (memcmp(h->magic, CTL_REQ_MAGIC, 4) != 0) {
		snprintf(err, errlen, "not a cairn control request");
		errno = EPROTO;
		return -1;
	}
	if (h->version != CTL_PROTO_VERSION) {
		ctl_version_message(err, errlen, CTL_PROTO_VERSION,
		    h->version);
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (h->length == 0 || h->length > CTL_REQ_MAX) {
		snprintf(err, errlen, "request of %u bytes refused (at most "
		    "%u)", h->length, CTL_REQ_MAX);
		errno = EMSGSIZE;
		return -1;
	}
	*len = h->length;
	return 0;
}

int
ctl_request_parse(struct ctl_request *r, const struct ctl_hdr *h,
    const unsigned char *p, size_t len, char *err, size_t errlen)
{
	size_t	 start = 0;

	memset(r, 0, sizeof(*r));
	if (len == 0 || len > CTL_REQ_MAX || p[len - 1] != '\0') {
		snprintf(err, errlen, "malformed request: strings must end "
		    "with NUL");
		errno = EPROTO;
		return -1;
	}
	r->version = h->version;
	r->flags = h->word;
	if ((r->flags & ~(uint32_t)CTL_F_KNOWN) != 0) {
		snprintf(err, errlen, "malformed request: unknown flags "
		    "0x%x", r->flags & ~(uint32_t)CTL_F_KNOWN);
		errno = EPROTO;
		return -1;
	}
	memcpy(r->buf, p, len);
	for (size_t i = 0; i < len; i++) {
		if (r->buf[i] != '\0')
			continue;
		if (r->argc == CTL_ARGS_MAX) {
			snprintf(err, errlen, "request with more than %d "
			    "arguments refused", CTL_ARGS_MAX);
			errno = EMSGSIZE;
			return -1;
		}
		r->argv[r->argc++] = r->buf + start;
		start = i + 1;
	}
	r->argv[r->argc] = NULL;
	if (r->argv[0][0] == '\0') {
		snprintf(err, errlen, "malformed request: empty command");
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* -- the client --------------------------------------------------------- */

static int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd	 p = { .fd = fd, .events = events };
	int64_t		 end = util_now_ms() + timeout_ms;
	int		 n, left;

	for (;;) {
		left = timeout_ms < 0 ? -1 : (int)(end - util_now_ms());
		if (timeout_ms >= 0 && left < 0)
			left = 0;
		n = poll(&p, 1, left);
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int
io_all(int fd, void *buf, size_t len, int writing, int timeout_ms)
{
	unsigned char	*p = buf;
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		if (wait_fd(fd, writing ? POLLOUT : POLLIN, timeout_ms) == -1)
			return -1;
		n = writing ? send(fd, p + done, len - done, MSG_NOSIGNAL) :
		    read(fd, p + done, len - done);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * Long (96 lines): one exchange (connect, send, read the header, the body),
 * each step with its own message and one clean-up of fd, req and b.
 */
int
ctl_call(const char *path, uint32_t flags, int argc, char *const argv[],
    int timeout_ms, int *code, char **body, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct ctl_hdr		 h;
	unsigned char		*req = NULL, hdr[CTL_HDR_LEN];
	size_t			 reqlen;
	char			*b = NULL;
	int			 fd = -1, saved;

	*body = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (ctl_request_pack(flags, argc, argv, &req, &reqlen) == -1) {
		snprintf(err, errlen, "request too large or empty");
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			snprintf(err, errlen, "%s: %s", path,
			    errno == ENOENT || errno == ECONNREFUSED ?
			    "cairnd is not running (no one answers on the "
			    "control socket)" : strerror(errno));
			goto fail;
		}
	}
	/*
	 * A daemon that refuses this peer answers and hangs up before it
	 * reads the request: on EPIPE the refusal may still be waiting.
	 */
	if (io_all(fd, req, reqlen, 1, timeout_ms) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: send: %s", path, strerror(errno));
		if (saved != EPIPE && saved != ECONNRESET)
			goto fail;
		if (io_all(fd, hdr, sizeof(hdr), 0, timeout_ms) == -1) {
			errno = saved;
			goto fail;
		}
	/* --wait: the reply comes when the run is over */
	} else if (io_all(fd, hdr, sizeof(hdr), 0,
	    (flags & CTL_F_WAIT) ? -1 : timeout_ms) == -1) {
		snprintf(err, errlen, "%s: no reply: %s", path,
		    strerror(errno));
		goto fail;
	}
	ctl_hdr_unpack(&h, hdr);
	if (memcmp(h.magic, CTL_REPLY_MAGIC, 4) != 0) {
		snprintf(err, errlen, "%s: the reply is not from cairnd", path);
		errno = EPROTO;
		goto fail;
	}
	if (h.version != CTL_PROTO_VERSION) {
		ctl_version_message(err, errlen, h.version,
		    CTL_PROTO_VERSION);
		errno = EPROTONOSUPPORT;
		goto fail;
	}
	if (h.length > CTL_REPLY_MAX) {
		snprintf(err, errlen, "%s: reply of %u bytes is too large",
		    path, h.length);
		errno = EMSGSIZE;
		goto fail;
	}
	b = xmalloc((size_t)h.length + 1);
	if (io_all(fd, b, h.length, 0, timeout_ms) == -1) {
		snprintf(err, errlen, "%s: reply cut short: %s", path,
		    strerror(errno));
		goto fail;
	}
	b[h.length] = '\0';
	close(fd);
	free(req);
	*code = (int)h.word;
	*body = b;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(req);
	free(b);
	errno = saved;
	return -1;
}

/* -- status ------------------------------------------------------------- */

void
ctl_status_free(struct ctl_status *st)
{
	free(st->jobs);
	st->jobs = NULL;
	st->njobs = 0;
}

const char *
ctl_state_name(enum ctl_state s)
{
	static const char *const names[] = {
		[CTL_IDLE] = "idle", [CTL_QUEUED] = "queued",
		[CTL_RUNNING] = "running", [CTL_BACKOFF] = "backoff",
	};

	if ((unsigned)s >= CTL_STATE_MAX)
		return "unknown";
	return names[s];
}

int64_t
ctl_slack(int64_t interval)
{
	int64_t	 s = interval / 2;

	return s > 900 ? s : 900;
}

void
ctl_status_assess(struct ctl_status *st)
{
	st->healthy = st->catalog_problem[0] == '\0';
	for (size_t i = 0; i < st->njobs; i++) {
		struct ctl_job_status	*j = &st->jobs[i];
		int64_t			 allowed;
		time_t			 since;

		j->overdue = j->stale = false;
		j->healthy = true;
		j->why[0] = '\0';
		allowed = j->interval > 0 ? j->interval + ctl_slack(j->interval)
		    : 0;
		/* a scheduled fire time long past without a run */
		if (j->state == CTL_IDLE && j->next_run > 0 &&
		    st->now > j->next_run + ctl_slack(j->interval))
			j->overdue = true;
		since = j->last_ok_end > 0 ? j->last_ok_end : st->started;
		if (allowed > 0 && st->now > since + allowed)
			j->overdue = true;
		since = j->newest_good > 0 ? j->newest_good : st->started;
		if (allowed > 0 && st->now > since + allowed)
			j->stale = true;

		if (j->last_code > 0) {
			j->healthy = false;
			snprintf(j->why, sizeof(j->why), "last run failed "
			    "(code %d, %s)", j->last_code,
			    cairn_strerror(j->last_code));
		} else if (j->overdue) {
			j->healthy = false;
			snprintf(j->why, sizeof(j->why), "no successful run "
			    "within %lld s", (long long)allowed);
		} else if (j->alerts[0] != '\0') {
			/* stale, failed verification, shrunk: alerts.c */
			j->healthy = false;
			snprintf(j->why, sizeof(j->why), "alert: %s",
			    j->alerts);
		}
		if (j->prune_hold[0] != '\0') {
			/* a held prune lets the disk fill: say so */
			size_t	 l = strlen(j->why);

			snprintf(j->why + l, sizeof(j->why) - l, "%spruning "
			    "held: %s", l > 0 ? "; " : "", j->prune_hold);
			j->healthy = false;
		}
		if (!j->healthy)
			st->healthy = false;
	}
	if (st->problem[0] != '\0')
		st->healthy = false;
}

void
ctl_human_bytes(char *out, size_t len, uint64_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	 v = (double)n;
	size_t	 i = 0;

	while (v >= 1024 && i + 1 < nitems(u)) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, len, "%llu B", (unsigned long long)n);
	else
		snprintf(out, len, "%.1f %s", v, u[i]);
}

void
ctl_progress_rate(const struct ctl_job_status *j, time_t now, double *rate,
    int64_t *eta)
{
	double	 secs = (double)(now - j->run_start);
	double	 items_rate;

	*rate = 0;
	*eta = -1;
	if (j->state != CTL_RUNNING || j->run_start <= 0 || secs <= 0)
		return;
	*rate = (double)j->progress.bytes_out / secs;
	items_rate = (double)j->progress.items_done / secs;
	if (j->progress.items_total > j->progress.items_done &&
	    items_rate > 0)
		*eta = (int64_t)((double)(j->progress.items_total -
		    j->progress.items_done) / items_rate);
	else if (j->progress.items_total > 0 &&
	    j->progress.items_total <= j->progress.items_done)
		*eta = 0;
}

static void
fmt_time(char *out, size_t len, time_t t)
{
	if (t <= 0)
		snprintf(out, len, "-");
	else
		util_utc_stamp(out, len, t);
}

static void
fmt_dur(char *out, size_t len, int64_t s)
{
	if (s < 0)
		snprintf(out, len, "?");
	else if (s < 120)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(out, len, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(out, len, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s / 60 % 60));
	else
		snprintf(out, len, "%lldd", (long long)(s / 86400));
}

static void
status_job_json(const struct ctl_status *st, const struct ctl_job_status *j,
    struct buf *o)
{
	double	 rate;
	int64_t	 eta;

	ctl_buf_printf(o, "{\"name\":");
	ctl_buf_json_str(o, j->name);
	ctl_buf_printf(o, ",\"kind\":\"%s\",\"state\":\"%s\",\"pid\":%d,"
	    "\"attempt\":%u,\"last_start\":", conf_kind_name(j->kind),
	    ctl_state_name(j->state), (int)j->pid, j->attempt);
	ctl_buf_json_time(o, j->last_start);
	ctl_buf_printf(o, ",\"last_end\":");
	ctl_buf_json_time(o, j->last_end);
	if (j->last_code < 0)
		ctl_buf_printf(o, ",\"last_code\":null,\"last_message\":");
	else
		ctl_buf_printf(o, ",\"last_code\":%d,\"last_message\":",
		    j->last_code);
	ctl_buf_json_str(o, j->last_message);
	ctl_buf_printf(o, ",\"last_success\":");
	ctl_buf_json_time(o, j->last_ok_end);
	ctl_buf_printf(o, ",\"last_bytes\":%llu,\"failures\":%llu,"
	    "\"next_run\":", (unsigned long long)j->last_bytes,
	    (unsigned long long)j->failures);
	ctl_buf_json_time(o, j->next_run);
	ctl_buf_printf(o, ",\"retry_at\":");
	ctl_buf_json_time(o, j->state == CTL_BACKOFF ? j->retry_at : 0);
	ctl_buf_printf(o, ",\"newest_good\":");
	ctl_buf_json_time(o, j->newest_good);
	ctl_buf_printf(o, ",\"interval\":%lld,\"overdue\":%s,\"stale\":%s,"
	    "\"healthy\":%s,\"why\":", (long long)j->interval,
	    j->overdue ? "true" : "false", j->stale ? "true" : "false",
	    j->healthy ? "true" : "false");
	ctl_buf_json_str(o, j->healthy ? NULL : j->why);
	ctl_buf_printf(o, ",\"alerts\":");
	ctl_buf_json_str(o, j->alerts[0] != '\0' ? j->alerts : NULL);
	if (j->upload) {
		ctl_buf_printf(o, ",\"upload\":{\"last_success\":");
		ctl_buf_json_time(o, j->upload_last);
		ctl_buf_printf(o, ",\"failures\":%llu,\"bytes\":%llu,"
		    "\"running\":", (unsigned long long)j->upload_failures,
		    (unsigned long long)j->upload_bytes);
		if (j->upload_running) {
			ctl_buf_printf(o, "{\"done\":%llu,\"total\":%llu,"
			    "\"current\":", (unsigned long long)
			    j->upload_progress.items_done, (unsigned long long)
			    j->upload_progress.items_total);
			ctl_buf_json_str(o, j->upload_progress.current);
			ctl_buf_printf(o, "}}");
		} else
			ctl_buf_printf(o, "null}");
	} else
		ctl_buf_printf(o, ",\"upload\":null");
	ctl_buf_printf(o, ",\"prune_hold\":");
	ctl_buf_json_str(o, j->prune_hold[0] != '\0' ? j->prune_hold : NULL);
	if (j->state == CTL_RUNNING) {
		ctl_progress_rate(j, st->now, &rate, &eta);
		ctl_buf_printf(o, ",\"progress\":{\"started\":");
		ctl_buf_json_time(o, j->run_start);
		ctl_buf_printf(o, ",\"bytes_in\":%llu,\"bytes_out\":%llu,"
		    "\"items_done\":%llu,\"items_total\":%llu,\"current\":",
		    (unsigned long long)j->progress.bytes_in,
		    (unsigned long long)j->progress.bytes_out,
		    (unsigned long long)j->progress.items_done,
		    (unsigned long long)j->progress.items_total);
		ctl_buf_json_str(o, j->progress.current[0] != '\0' ?
		    j->progress.current : NULL);
		ctl_buf_printf(o, ",\"rate\":%.0f,\"eta\":", rate);
		if (eta < 0)
			ctl_buf_printf(o, "null}");
		else
			ctl_buf_printf(o, "%lld}", (long long)eta);
	} else
		ctl_buf_printf(o, ",\"progress\":null");
	ctl_buf_printf(o, "}");
}

/* "  upload: last good ..., N failed, X since start; at work: ..." */
static void
status_upload_text(const struct ctl_job_status *j, struct buf *o)
{
	const struct job_progress	*p = &j->upload_progress;
	char				 a[32], b[32], c[32];

	fmt_time(a, sizeof(a), j->upload_last);
	ctl_human_bytes(b, sizeof(b), j->upload_bytes);
	ctl_buf_printf(o, "  upload: last good %s, %llu failed attempt%s, "
	    "%s since start", j->upload_last != 0 ? a : "none yet",
	    (unsigned long long)j->upload_failures,
	    j->upload_failures == 1 ? "" : "s", b);
	if (j->upload_running) {
		ctl_buf_printf(o, "; working");
		if (p->current[0] != '\0') {
			ctl_buf_printf(o, ": ");
			ctl_buf_text(o, p->current);
		}
		if (p->items_total > 0) {
			ctl_human_bytes(a, sizeof(a), p->items_done);
			ctl_human_bytes(c, sizeof(c), p->items_total);
			ctl_buf_printf(o, ", %s of %s (%llu%%)", a, c,
			    (unsigned long long)(p->items_done * 100 /
			    p->items_total));
		}
	}
	ctl_buf_printf(o, "\n");
}


/*
 * Long (108 lines): the JSON object and the table side by side, so a field
 * added to one is seen missing from the other.
 */
void
ctl_status_format(const struct ctl_status *st, bool json, struct buf *o)
{
	char	 a[32], b[32], c[32], d[32];
	double	 rate;
	int64_t	 eta;

	if (json) {
		ctl_buf_printf(o, "{\"protocol\":%d,\"version\":",
		    CTL_PROTO_VERSION);
		ctl_buf_json_str(o, st->version);
		ctl_buf_printf(o, ",\"pid\":%d,\"started\":", (int)st->pid);
		ctl_buf_json_time(o, st->started);
		ctl_buf_printf(o, ",\"now\":");
		ctl_buf_json_time(o, st->now);
		ctl_buf_printf(o, ",\"backup_dir\":");
		ctl_buf_json_str(o, st->backup_dir);
		ctl_buf_printf(o, ",\"catalog_problem\":");
		ctl_buf_json_str(o, st->catalog_problem[0] != '\0' ?
		    st->catalog_problem : NULL);
		ctl_buf_printf(o, ",\"max_workers\":%d,\"running\":%d,"
		    "\"healthy\":%s,\"jobs\":[", st->max_workers, st->running,
		    st->healthy ? "true" : "false");
		for (size_t i = 0; i < st->njobs; i++) {
			if (i > 0)
				ctl_buf_printf(o, ",");
			status_job_json(st, &st->jobs[i], o);
		}
		ctl_buf_printf(o, "]}\n");
		return;
	}
	fmt_dur(a, sizeof(a), (int64_t)(st->now - st->started));
	ctl_buf_printf(o, "cairnd %s, pid %d, up %s, %d of %d workers "
	    "running, backups in %s\n", st->version, (int)st->pid, a,
	    st->running, st->max_workers, st->backup_dir);
	if (st->catalog_problem[0] != '\0') {
		ctl_buf_printf(o, "catalog: ");
		ctl_buf_text(o, st->catalog_problem);
		ctl_buf_printf(o, "\n");
	}
	if (st->njobs == 0) {
		ctl_buf_printf(o, "no jobs configured\n");
		return;
	}
	/* what needs a person first, before the table */
	for (size_t i = 0; i < st->njobs; i++)
		if (!st->jobs[i].healthy)
			ctl_buf_printf(o, "ALERT %s: %s\n", st->jobs[i].name,
			    st->jobs[i].why);
	ctl_buf_printf(o, "%-16s %-6s %-8s %-20s %-5s %-20s %-20s %s\n",
	    "JOB", "KIND", "STATE", "LAST RUN", "CODE", "NEXT RUN",
	    "NEWEST GOOD", "FLAGS");
	for (size_t i = 0; i < st->njobs; i++) {
		const struct ctl_job_status	*j = &st->jobs[i];
		char				 code[16], flags[64];

		fmt_time(a, sizeof(a), j->last_end);
		fmt_time(b, sizeof(b), j->state == CTL_BACKOFF ? j->retry_at :
		    j->next_run);
		fmt_time(c, sizeof(c), j->newest_good);
		if (j->last_code < 0)
			snprintf(code, sizeof(code), "-");
		else
			snprintf(code, sizeof(code), "%d", j->last_code);
		snprintf(flags, sizeof(flags), "%s%s%s%s",
		    j->overdue ? "overdue " : "", j->stale ? "stale " : "",
		    j->prune_hold[0] != '\0' ? "held " : "",
		    j->healthy ? "" : "unhealthy");
		ctl_buf_printf(o, "%-16s %-6s %-8s %-20s %-5s %-20s %-20s %s\n",
		    j->name, conf_kind_name(j->kind), ctl_state_name(j->state),
		    a, code, b, c, flags[0] != '\0' ? flags : "ok");
		if (j->last_code > 0 && j->last_message[0] != '\0') {
			ctl_buf_printf(o, "  last error: ");
			ctl_buf_text(o, j->last_message);
			ctl_buf_printf(o, "\n");
		}
		if (j->prune_hold[0] != '\0') {
			ctl_buf_printf(o, "  pruning held: ");
			ctl_buf_text(o, j->prune_hold);
			ctl_buf_printf(o, "\n");
		}
		if (j->state == CTL_BACKOFF)
			ctl_buf_printf(o, "  attempt %u failed, retrying at "
			    "%s\n", j->attempt, b);
		if (j->upload)
			status_upload_text(j, o);
		if (j->state == CTL_RUNNING) {
			ctl_progress_rate(j, st->now, &rate, &eta);
			ctl_human_bytes(a, sizeof(a), j->progress.bytes_out);
			ctl_human_bytes(b, sizeof(b), (uint64_t)rate);
			fmt_dur(c, sizeof(c), eta);
			fmt_dur(d, sizeof(d), (int64_t)(st->now - j->run_start));
			ctl_buf_printf(o, "  pid %d, attempt %u, for %s: %s, "
			    "%llu %s", (int)j->pid, j->attempt, d, a,
			    (unsigned long long)j->progress.items_done,
			    j->kind == JOB_SQLITE ? "pages" : "rows");
			if (j->progress.items_total > 0)
				ctl_buf_printf(o, " of %llu",
				    (unsigned long long)
				    j->progress.items_total);
			if (j->progress.current[0] != '\0') {
				ctl_buf_printf(o, ", at ");
				ctl_buf_text(o, j->progress.current);
			}
			ctl_buf_printf(o, ", %s/s", b);
			if (eta >= 0)
				ctl_buf_printf(o, ", eta %s", c);
			ctl_buf_printf(o, "\n");
		}
	}
}

void
ctl_health_format(const struct ctl_status *st, bool json, struct buf *o)
{
	if (json) {
		ctl_buf_printf(o, "{\"healthy\":%s,\"problem\":",
		    st->healthy ? "true" : "false");
		ctl_buf_json_str(o, st->problem[0] != '\0' ? st->problem :
		    NULL);
		ctl_buf_printf(o, ",\"catalog\":");
		ctl_buf_json_str(o, st->catalog_problem[0] != '\0' ?
		    st->catalog_problem : NULL);
		ctl_buf_printf(o, ",\"jobs\":[");
		for (size_t i = 0; i < st->njobs; i++) {
			const struct ctl_job_status *j = &st->jobs[i];

			ctl_buf_printf(o, "%s{\"name\":", i > 0 ? "," : "");
			ctl_buf_json_str(o, j->name);
			ctl_buf_printf(o, ",\"healthy\":%s,\"why\":",
			    j->healthy ? "true" : "false");
			ctl_buf_json_str(o, j->healthy ? NULL : j->why);
			ctl_buf_printf(o, "}");
		}
		ctl_buf_printf(o, "]}\n");
		return;
	}
	if (st->catalog_problem[0] != '\0') {
		ctl_buf_printf(o, "catalog: ");
		ctl_buf_text(o, st->catalog_problem);
		ctl_buf_printf(o, "\n");
	}
	for (size_t i = 0; i < st->njobs; i++) {
		const struct ctl_job_status *j = &st->jobs[i];

		ctl_buf_printf(o, "%s: ", j->name);
		ctl_buf_text(o, j->healthy ? "ok" : j->why);
		ctl_buf_printf(o, "\n");
	}
	if (st->problem[0] != '\0') {
		ctl_buf_printf(o, "cairnd: ");
		ctl_buf_text(o, st->problem);
		ctl_buf_printf(o, "\n");
	}
	ctl_buf_printf(o, "%s\n", st->healthy ? "healthy" : "unhealthy");
}
