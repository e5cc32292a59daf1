/*
 * ctl_server.c -- cairnd's control socket (see ctl_server.h, docs/control.md).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "cairn/ctlproto.h"
#include "ctl_server.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS	59
#endif

#define CTL_GROUPS_MAX	256

enum conn_state {
	CONN_READ,		/* reading the request */
	CONN_WAIT,		/* waiting for a ticket */
	CONN_WRITE,		/* writing the reply, then close */
};

struct ctl_conn {
	int		 fd;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	enum conn_state	 state;
	unsigned char	 in[CTL_HDR_LEN + CTL_REQ_MAX];
	size_t		 inlen;
	size_t		 want;		/* bytes to read in total */
	unsigned char	*out;
	size_t		 outlen;
	size_t		 outoff;
	int64_t		 deadline;	/* 0: none (CONN_WAIT) */
	uint64_t	 ticket;
	bool		 json;
	char		 cmd[32];
};

struct ctl_srv {
	int		 fd;
	char		*path;
	uid_t		 uid;
	gid_t		 gid;
	int		 timeout_ms;
	const struct ctl_ops *ops;
	void		*arg;
	struct audit	*audit;
	struct ctl_conn	*conns[CTL_MAX_CONN];
	size_t		 nconn;
	size_t		 nwait;		/* of them in CONN_WAIT */
};

/* Room for a new connection that is not waiting for a ticket. */
static bool
ctl_room(const struct ctl_srv *s)
{
	return s->nconn - s->nwait < CTL_MAX_ACTIVE &&
	    s->nconn < CTL_MAX_CONN;
}

static void
conn_set_state(struct ctl_srv *s, struct ctl_conn *c, enum conn_state st)
{
	if (c->state == CONN_WAIT)
		s->nwait--;
	if (st == CONN_WAIT)
		s->nwait++;
	c->state = st;
}

/* -- set-up ------------------------------------------------------------- */

static int
sun_fill(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * Where bind(2) and connect(2) reach name in the folder dirfd without
 * resolving the folder's path again: /proc/self/fd/N/name (AT_FDCWD: name
 * itself).
 */
static int
sun_fill_at(struct sockaddr_un *sun, int dirfd, const char *name)
{
	char	 buf[sizeof(sun->sun_path) + 32];

	if (dirfd == AT_FDCWD)
		return sun_fill(sun, name);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d/%s", dirfd, name);
	return sun_fill(sun, buf);
}

/* 1: someone answers; 0: stale or absent (removed); -1 error */
static int
ctl_probe(int dirfd, const char *name, const char *path, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd, rc;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not "
		    "a socket", path);
		errno = EEXIST;
		return -1;
	}
	if (sun_fill_at(&sun, dirfd, name) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "control socket %s: another cairnd "
		    "answers on it", path);
		errno = EADDRINUSE;
		return 1;
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: remove stale "
		    "socket: %s", path, strerror(errno));
		return -1;
	}
	log_info("control socket %s: removed a stale socket", path);
	return 0;
}

struct ctl_srv *
ctl_listen(const char *path, mode_t mode, gid_t gid,
    const struct ctl_ops *ops, void *arg, struct audit *audit, char *err,
    size_t errlen)
{
	return ctl_listen_at(AT_FDCWD, path, path, mode, gid, ops, arg, audit,
	    err, errlen);
}

/*
 * bind(2) with the final mode and group from the start: the mode from the
 * umask, the group from the egid (root) -- no chmod or chown by path in a
 * folder the daemon's user can write.  Then the result is checked.
 */
static int
ctl_bind(int fd, const struct sockaddr_un *sun, int dirfd, const char *name,
    mode_t mode, gid_t gid)
{
	struct stat	 st;
	mode_t		 old;
	gid_t		 egid = getegid();
	int		 rc, saved, setg;

	setg = geteuid() == 0 && gid != (gid_t)-1 && gid != egid;
	if (setg && setegid(gid) == -1)
		return -1;
	old = umask(~mode & 0777);
	rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	umask(old);
	if (setg && setegid(egid) == -1)
		fatal("setegid %u", (unsigned)egid);
	if (rc == -1) {
		errno = saved;
		return -1;
	}
	/* not root: a group of our own may still be set, harmlessly */
	if (!setg && gid != (gid_t)-1 && gid != egid &&
	    fchownat(dirfd, name, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != mode ||
	    (gid != (gid_t)-1 && st.st_gid != gid)) {
		errno = EEXIST;
		return -1;
	}
	return 0;
}

struct ctl_srv *
ctl_listen_at(int dirfd, const char *name, const char *path, mode_t mode,
    gid_t gid, const struct ctl_ops *ops, void *arg, struct audit *audit,
    char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct ctl_srv		*s;
	int			 fd, saved;

	if (sun_fill(&sun, path) == -1 || sun_fill_at(&sun, dirfd,
	    name) == -1) {
		snprintf(err, errlen, "control socket %s: path too long",
		    path);
		return NULL;
	}
	if (ctl_probe(dirfd, name, path, err, errlen) != 0)
		return NULL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "control socket %s: socket: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (ctl_bind(fd, &sun, dirfd, name, mode, gid) == -1) {
		saved = errno;
		snprintf(err, errlen, "control socket %s: bind: %s", path,
		    saved == EEXIST ? "changed under us (not the socket made "
		    "with its mode and group)" : strerror(saved));
		goto fail;
	}
	if (listen(fd, 16) == -1) {
		saved = errno;
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(saved));
		unlinkat(dirfd, name, 0);
		goto fail;
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->path = xstrdup(path);
	s->uid = geteuid();
	s->gid = gid;
	s->timeout_ms = CTL_IO_TIMEOUT_MS;
	s->ops = ops;
	s->arg = arg;
	s->audit = audit;
	return s;
fail:
	close(fd);
	errno = saved;
	return NULL;
}

void
ctl_set_group(struct ctl_srv *s, gid_t gid)
{
	s->gid = gid;
}

void
ctl_set_uid(struct ctl_srv *s, uid_t uid)
{
	s->uid = uid;
}

void
ctl_set_timeout(struct ctl_srv *s, int ms)
{
	s->timeout_ms = ms;
}

size_t
ctl_nconn(const struct ctl_srv *s)
{
	return s->nconn;
}

static void
conn_free(struct ctl_srv *s, size_t i)
{
	struct ctl_conn	*c = s->conns[i];

	if (c->state == CONN_WAIT)
		s->nwait--;
	close(c->fd);
	free(c->out);
	free(c);
	s->conns[i] = s->conns[--s->nconn];
	s->conns[s->nconn] = NULL;
}

void
ctl_close(struct ctl_srv *s)
{
	if (s == NULL)
		return;
	while (s->nconn > 0)
		conn_free(s, s->nconn - 1);
	if (s->fd != -1) {
		close(s->fd);
		unlink(s->path);
	}
	free(s->path);
	free(s);
}

/* -- credentials -------------------------------------------------------- */

static bool
peer_allowed(const struct ctl_srv *s, int fd, const struct ucred *uc)
{
	gid_t		 groups[CTL_GROUPS_MAX];
	socklen_t	 len = sizeof(groups);

	if (uc->uid == 0 || uc->uid == s->uid)
		return true;
	if (s->gid == (gid_t)-1)
		return false;
	if (uc->gid == s->gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == s->gid)
				return true;
	return false;
}

/* -- replies ------------------------------------------------------------ */

static void
conn_reply(struct ctl_srv *s, struct ctl_conn *c, int code, const char *body,
    size_t len, int64_t now)
{
	struct ctl_hdr	 h;

	if (len > CTL_REPLY_MAX)
		len = CTL_REPLY_MAX;
	memcpy(h.magic, CTL_REPLY_MAGIC, 4);
	h.version = CTL_PROTO_VERSION;
	h.word = (uint32_t)code;
	h.length = (uint32_t)len;
	/* the reply may have taken a while to make: its clock starts now */
	now = util_now_ms();
	free(c->out);
	c->out = xmalloc(CTL_HDR_LEN + len);
	ctl_hdr_pack(c->out, &h);
	if (len > 0)
		memcpy(c->out + CTL_HDR_LEN, body, len);
	c->outlen = CTL_HDR_LEN + len;
	c->outoff = 0;
	conn_set_state(s, c, CONN_WRITE);
	c->deadline = now + s->timeout_ms;
}

/* A one-message reply: text, or {"code":N,"message":"..."} */
static void
conn_reply_msg(struct ctl_srv *s, struct ctl_conn *c, int code,
    const char *msg, int64_t now)
{
	struct buf	 b = { 0 };

	if (c->json) {
		ctl_buf_printf(&b, "{\"code\":%d,\"message\":", code);
		ctl_buf_json_str(&b, msg);
		ctl_buf_printf(&b, "}\n");
	} else if (msg != NULL && msg[0] != '\0') {
		/* its lines as they are (run all: one per job), escaped */
		for (const char *p = msg, *nl; *p != '\0'; p = nl + 1) {
			char	*line;

			if ((nl = strchr(p, '\n')) == NULL)
				nl = p + strlen(p);
			line = xasprintf("%.*s", (int)(nl - p), p);
			ctl_buf_text(&b, line);
			ctl_buf_add(&b, "\n", 1);
			free(line);
			if (*nl == '\0')
				break;
		}
	}
	conn_reply(s, c, code, b.p, b.len, now);
	buf_free(&b);
}

/* A formatted reply; one that outgrew CTL_REPLY_MAX is an error, never cut. */
static int
conn_reply_buf(struct ctl_srv *s, struct ctl_conn *c, int code,
    const struct buf *b, int64_t now)
{
	char	 msg[160];

	if (!b->cut) {
		conn_reply(s, c, code, b->p, b->len, now);
		return code;
	}
	snprintf(msg, sizeof(msg), "%s: the reply is larger than %u MiB "
	    "and was not sent", c->cmd, CTL_REPLY_MAX >> 20);
	log_warnx("control: uid %u pid %d: %s", (unsigned)c->uid,
	    (int)c->pid, msg);
	conn_reply_msg(s, c, CAIRN_E_SOFTWARE, msg, now);
	return CAIRN_E_SOFTWARE;
}

static void
conn_audit(struct ctl_srv *s, struct ctl_conn *c, const char *event,
    const char *command, const char *args, int code, const char *reason)
{
	if (s->audit == NULL)
		return;
	if (audit_write(s->audit, event, AF_UINT("uid", c->uid),
	    AF_INT("pid", c->pid), AF_STR("command", command),
	    AF_STR("args", args), AF_INT("code", code),
	    AF_STR("reason", reason)) == -1)
		log_warn("audit: %s", event);
}

/* -- commands ----------------------------------------------------------- */

static int
cmd_status(struct ctl_srv *s, struct ctl_conn *c, bool health, int64_t now)
{
	struct ctl_status	 st;
	struct buf		 b = { 0 };
	int			 code;

	memset(&st, 0, sizeof(st));
	if ((code = s->ops->status(s->arg, &st)) != CAIRN_E_OK) {
		ctl_status_free(&st);
		conn_reply_msg(s, c, code, "status unavailable", now);
		return code;
	}
	if (st.now == 0)
		st.now = time(NULL);
	ctl_status_assess(&st);
	if (health) {
		ctl_health_format(&st, c->json, &b);
		code = st.healthy ? CAIRN_E_OK : CAIRN_E_FAIL;
	} else
		ctl_status_format(&st, c->json, &b);
	code = conn_reply_buf(s, c, code, &b, now);
	buf_free(&b);
	ctl_status_free(&st);
	return code;
}

static void
plan_format(const struct ctl_prune_plan *p, bool json, struct buf *b)
{
	if (json) {
		ctl_buf_printf(b, "{\"code\":0,\"dry_run\":true,\"kept\":%zu,"
		    "\"remote_kept\":%zu,\"delete\":[", p->kept,
		    p->remote_kept);
		for (size_t i = 0; i < p->n; i++) {
			ctl_buf_printf(b, "%s{\"path\":", i > 0 ? "," : "");
			ctl_buf_json_str(b, p->items[i].path);
			if (p->items[i].remote[0] != '\0') {
				ctl_buf_printf(b, ",\"remote\":");
				ctl_buf_json_str(b, p->items[i].remote);
			}
			ctl_buf_printf(b, ",\"reason\":");
			ctl_buf_json_str(b, p->items[i].reason);
			ctl_buf_printf(b, "}");
		}
		ctl_buf_printf(b, "]}\n");
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].remote[0] != '\0')
			ctl_buf_printf(b, "would delete %s on %s (%s)\n",
			    p->items[i].path, p->items[i].remote,
			    p->items[i].reason);
		else
			ctl_buf_printf(b, "would delete %s (%s)\n",
			    p->items[i].path, p->items[i].reason);
	ctl_buf_printf(b, "dry run: %zu to delete, %zu kept", p->n, p->kept);
	if (p->remote_kept > 0)
		ctl_buf_printf(b, ", %zu remote cop%s kept", p->remote_kept,
		    p->remote_kept == 1 ? "y" : "ies");
	ctl_buf_printf(b, "\n");
}

/* Requests that only look (not audited). */
static bool
ctl_read_only(const char *cmd)
{
	return strcmp(cmd, "status") == 0 || strcmp(cmd, "health") == 0 ||
	    strcmp(cmd, "list") == 0;
}

/* An argument without control characters (names never have them). */
static bool
ctl_arg_ok(const char *a)
{
	for (const unsigned char *u = (const unsigned char *)a; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return false;
	return true;
}

/*
 * Starts or answers a command; returns the code to audit.  One case per
 * command, each a check and a call: long, kept whole so the surface reads
 * in one place.
 */
static int
conn_command(struct ctl_srv *s, struct ctl_conn *c,
    const struct ctl_request *r, int64_t now)
{
	const char	*cmd = r->argv[0];
	char		 err[512], msg[640];
	uint64_t	 ticket = 0;
	int		 code, wait = (r->flags & CTL_F_WAIT) != 0;
	int		 dry = 0;
	const char	*what = NULL;

	err[0] = '\0';
	for (int i = 1; i < r->argc; i++) {
		if (!ctl_arg_ok(r->argv[i])) {
			char	 vis[256];

			/* a job or artifact name never holds one */
			util_vis(vis, sizeof(vis), r->argv[i]);
			snprintf(msg, sizeof(msg), "%s: \"%s\" is not a valid "
			    "name (control characters)", cmd, vis);
			conn_reply_msg(s, c, CAIRN_E_USAGE, msg, now);
			return CAIRN_E_USAGE;
		}
	}
	if (wait && s->nwait >= CTL_MAX_WAIT) {
		/* refused before anything starts: the client may retry */
		snprintf(msg, sizeof(msg), "%s: too many clients waiting "
		    "(%d): try again later, or without --wait", cmd,
		    CTL_MAX_WAIT);
		conn_reply_msg(s, c, CAIRN_E_TEMPFAIL, msg, now);
		return CAIRN_E_TEMPFAIL;
	}
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "health") == 0) {
		if (r->argc != 1)
			goto usage;
		return cmd_status(s, c, cmd[0] == 'h', now);
	}
	if (strcmp(cmd, "reload") == 0) {
		if (r->argc != 1)
			goto usage;
		code = s->ops->reload(s->arg, err, sizeof(err));
		conn_reply_msg(s, c, code, err[0] != '\0' ? err :
		    code == 0 ? "reloaded" : cairn_strerror(code), now);
		return code;
	}
	if (strcmp(cmd, "run") == 0) {
		if (r->argc != 2 || r->argv[1][0] == '\0')
			goto usage;
		what = r->argv[1];
		code = s->ops->run(s->arg, what, &ticket, err, sizeof(err));
	} else if (strcmp(cmd, "verify") == 0) {
		if (r->argc > 2)
			goto usage;
		if (r->argc == 2 && strcmp(r->argv[1], "--all") != 0)
			what = r->argv[1];
		code = s->ops->verify(s->arg, what, &ticket, err,
		    sizeof(err));
		if (what == NULL)
			what = "all artifacts";
	} else if (strcmp(cmd, "prune") == 0) {
		struct ctl_prune_plan	 plan = { 0 };

		if (r->argc > 2 || (r->argc == 2 &&
		    strcmp(r->argv[1], "--dry-run") != 0))
			goto usage;
		dry = r->argc == 2;
		what = "prune";
		code = s->ops->prune(s->arg, dry, &plan, &ticket, err,
		    sizeof(err));
		if (dry && code == CAIRN_E_OK) {
			struct buf	 b = { 0 };

			plan_format(&plan, c->json, &b);
			code = conn_reply_buf(s, c, code, &b, now);
			buf_free(&b);
			free(plan.items);
			return code;
		}
		free(plan.items);
	} else if (strcmp(cmd, "notify") == 0) {
		if (r->argc < 2 || r->argc > 3 ||
		    strcmp(r->argv[1], "test") != 0)
			goto usage;
		what = "notify test";
		code = s->ops->notify_test == NULL ? CAIRN_E_UNAVAILABLE :
		    s->ops->notify_test(s->arg, r->argc == 3 ? r->argv[2] :
		    NULL, &ticket, err, sizeof(err));
	} else {
		snprintf(msg, sizeof(msg), "unknown command %.64s", cmd);
		conn_reply_msg(s, c, CAIRN_E_USAGE, msg, now);
		return CAIRN_E_USAGE;
	}
	if (code != CAIRN_E_OK) {
		conn_reply_msg(s, c, code, err[0] != '\0' ? err :
		    cairn_strerror(code), now);
		return code;
	}
	if (ticket == 0 && err[0] != '\0') {
		/* nothing needed doing: the op says so */
		conn_reply_msg(s, c, code, err, now);
		return code;
	}
	if (wait && ticket != 0) {
		conn_set_state(s, c, CONN_WAIT);
		c->ticket = ticket;
		c->deadline = 0;
		return code;
	}
	snprintf(msg, sizeof(msg), "started %s (ticket %llu)", what,
	    (unsigned long long)ticket);
	conn_reply_msg(s, c, code, msg, now);
	return code;
usage:
	snprintf(msg, sizeof(msg), "%s: wrong arguments", cmd);
	conn_reply_msg(s, c, CAIRN_E_USAGE, msg, now);
	return CAIRN_E_USAGE;
}

void
ctl_ticket_done(struct ctl_srv *s, uint64_t ticket, int code,
    const char *msg)
{
	int64_t	 now = util_now_ms();

	if (ticket == 0)
		return;
	for (size_t i = 0; i < s->nconn; i++) {
		struct ctl_conn	*c = s->conns[i];

		if (c->state == CONN_WAIT && c->ticket == ticket)
			conn_reply_msg(s, c, code, msg != NULL ? msg :
			    cairn_strerror(code), now);
	}
}

/* -- I/O ---------------------------------------------------------------- */

static void
conn_request(struct ctl_srv *s, struct ctl_conn *c, int64_t now)
{
	struct ctl_request	*r;
	struct ctl_hdr		 h;
	char			 err[256], args[1024];
	size_t			 o = 0;
	int			 code;

	ctl_hdr_unpack(&h, c->in);
	r = xmalloc(sizeof(*r));
	if (ctl_request_parse(r, &h, c->in + CTL_HDR_LEN,
	    c->inlen - CTL_HDR_LEN, err, sizeof(err)) == -1) {
		conn_audit(s, c, "ctl_rejected", NULL, NULL, CAIRN_E_PROTOCOL,
		    err);
		conn_reply_msg(s, c, CAIRN_E_PROTOCOL, err, now);
		free(r);
		return;
	}
	c->json = (r->flags & CTL_F_JSON) != 0;
	snprintf(c->cmd, sizeof(c->cmd), "%s", r->argv[0]);
	args[0] = '\0';
	for (int i = 1; i < r->argc && o + 1 < sizeof(args); i++)
		o += (size_t)snprintf(args + o, sizeof(args) - o, "%s%s",
		    i > 1 ? " " : "", r->argv[i]);
	if ((r->flags & CTL_F_WAIT) && o + 8 < sizeof(args))
		snprintf(args + o, sizeof(args) - o, "%s--wait",
		    o > 0 ? " " : "");
	code = conn_command(s, c, r, now);
	/* read-only requests change nothing: a health check every minute
	 * must not write 1,440 audit lines a day */
	if (!ctl_read_only(r->argv[0]))
		conn_audit(s, c, "ctl", r->argv[0], args, code, NULL);
	log_info("control: uid %u pid %d: %s%s%s: %s", (unsigned)c->uid,
	    (int)c->pid, r->argv[0], args[0] != '\0' ? " " : "", args,
	    c->state == CONN_WAIT ? "waiting" : cairn_strerror(code));
	free(r);
}

static void
conn_header(struct ctl_srv *s, struct ctl_conn *c, int64_t now)
{
	struct ctl_hdr	 h;
	char		 err[256];
	size_t		 len;

	ctl_hdr_unpack(&h, c->in);
	if (ctl_request_check(&h, &len, err, sizeof(err)) == -1) {
		conn_audit(s, c, "ctl_rejected", NULL, NULL, CAIRN_E_PROTOCOL,
		    err);
		log_warnx("control: uid %u pid %d: %s", (unsigned)c->uid,
		    (int)c->pid, err);
		conn_reply_msg(s, c, CAIRN_E_PROTOCOL, err, now);
		return;
	}
	c->want = CTL_HDR_LEN + len;
}

/* false: the connection is done and must be freed */
static bool
conn_read(struct ctl_srv *s, struct ctl_conn *c, int64_t now)
{
	unsigned char	 junk[64];
	ssize_t		 n;

	if (c->state == CONN_WAIT) {
		/* the client may only wait; EOF or data ends it */
		n = read(c->fd, junk, sizeof(junk));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return true;
		log_info("control: uid %u pid %d: %s: client gone before the "
		    "answer", (unsigned)c->uid, (int)c->pid, c->cmd);
		return false;
	}
	while (c->state == CONN_READ && c->inlen < c->want) {
		n = read(c->fd, c->in + c->inlen, c->want - c->inlen);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			return false;
		}
		if (n == 0)
			return false;		/* hung up mid-request */
		c->inlen += (size_t)n;
		if (c->inlen == CTL_HDR_LEN && c->want == CTL_HDR_LEN)
			conn_header(s, c, now);
		else if (c->inlen == c->want)
			conn_request(s, c, now);
	}
	return true;
}

/* false: done (written or failed); progress moves the deadline */
static bool
conn_write(struct ctl_srv *s, struct ctl_conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			return false;
		}
		c->outoff += (size_t)n;
		c->deadline = util_now_ms() + s->timeout_ms;
	}
	return false;
}

int
ctl_adopt(struct ctl_srv *s, int fd, int64_t now)
{
	struct ctl_conn	*c;
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);
	int		 fl;

	if (!ctl_room(s)) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("control: new connection");
		close(fd);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->uid = uc.uid;
	c->gid = uc.gid;
	c->pid = uc.pid;
	c->state = CONN_READ;
	c->want = CTL_HDR_LEN;
	c->deadline = now + s->timeout_ms;
	s->conns[s->nconn++] = c;
	if (!peer_allowed(s, fd, &uc)) {
		log_warnx("control: uid %u pid %d: permission denied",
		    (unsigned)uc.uid, (int)uc.pid);
		conn_audit(s, c, "ctl_refused", NULL, NULL, CAIRN_E_NOPERM,
		    "permission denied");
		conn_reply_msg(s, c, CAIRN_E_NOPERM, "permission denied", now);
	}
	return 0;
}

static void
ctl_accept(struct ctl_srv *s, int64_t now)
{
	int	 fd;

	while (ctl_room(s)) {
		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
		(void)ctl_adopt(s, fd, now);
	}
}

size_t
ctl_pollfds(struct ctl_srv *s, struct pollfd *pfd, size_t max)
{
	size_t	 n = 0;

	if (n < max && ctl_room(s)) {
		pfd[n].fd = s->fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	for (size_t i = 0; i < s->nconn && n < max; i++) {
		pfd[n].fd = s->conns[i]->fd;
		pfd[n].events = s->conns[i]->state == CONN_WRITE ? POLLOUT :
		    POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

static ssize_t
conn_find(const struct ctl_srv *s, int fd)
{
	for (size_t i = 0; i < s->nconn; i++)
		if (s->conns[i]->fd == fd)
			return (ssize_t)i;
	return -1;
}

void
ctl_dispatch(struct ctl_srv *s, const struct pollfd *pfd, size_t n,
    int64_t now)
{
	bool	 accept_ready = false;

	for (size_t k = 0; k < n; k++) {
		struct ctl_conn	*c;
		ssize_t		 i;
		bool		 keep = true;

		if (pfd[k].revents == 0)
			continue;
		if (pfd[k].fd == s->fd) {
			accept_ready = true;
			continue;
		}
		if ((i = conn_find(s, pfd[k].fd)) == -1)
			continue;
		c = s->conns[i];
		if (c->state != CONN_WRITE &&
		    (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			keep = conn_read(s, c, now);
		if (keep && c->state == CONN_WRITE)
			keep = conn_write(s, c);
		if (!keep)
			conn_free(s, (size_t)i);
	}
	/* timeouts; a reply queued by ctl_ticket_done() gets written here */
	for (size_t i = 0; i < s->nconn; ) {
		struct ctl_conn	*c = s->conns[i];

		if (c->deadline != 0 && now >= c->deadline) {
			log_warnx("control: uid %u pid %d: no progress in %d "
			    "ms, dropped", (unsigned)c->uid, (int)c->pid,
			    s->timeout_ms);
			conn_audit(s, c, "ctl_dropped", c->cmd[0] != '\0' ?
			    c->cmd : NULL, NULL, CAIRN_E_TEMPFAIL,
			    c->state == CONN_READ ? "request timeout" :
			    "reply timeout");
			conn_free(s, i);
			continue;
		}
		i++;
	}
	if (accept_ready)
		ctl_accept(s, now);
}

int
ctl_next_timeout(const struct ctl_srv *s, int64_t now)
{
	int64_t	 best = -1;

	for (size_t i = 0; i < s->nconn; i++) {
		int64_t	 d = s->conns[i]->deadline;

		if (d == 0)
			continue;
		if (best == -1 || d < best)
			best = d;
	}
	if (best == -1)
		return -1;
	if (best <= now)
		return 0;
	return best - now > 3600000 ? 3600000 : (int)(best - now);
}
