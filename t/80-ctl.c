/*
 * t/80-ctl.c -- the control socket with fake supervisor ops: socket set-up,
 * credentials, the protocol's bounds and versions, stalled clients,
 * run --wait, and the audit trail.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
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
#include "tap.h"

/* -- fake supervisor ---------------------------------------------------- */

struct fake {
	int		 failed;	/* the second job's last run failed */
	int		 runs;
	char		 last_job[64];
	uint64_t	 next_ticket;
	uint64_t	 waiting;	/* ticket of the last run started */
	int		 reloads;
};

static int
fake_status(void *arg, struct ctl_status *st)
{
	struct fake	*f = arg;
	time_t		 now = 1790000000;

	st->pid = 4242;
	st->started = now - 3600;
	st->now = now;
	snprintf(st->version, sizeof(st->version), "test");
	snprintf(st->backup_dir, sizeof(st->backup_dir), "/b");
	st->max_workers = 2;
	st->running = 1;
	st->njobs = 2;
	st->jobs = xcalloc(2, sizeof(*st->jobs));
	snprintf(st->jobs[0].name, sizeof(st->jobs[0].name), "shop");
	st->jobs[0].kind = JOB_MYSQL;
	st->jobs[0].state = CTL_RUNNING;
	st->jobs[0].pid = 777;
	st->jobs[0].attempt = 1;
	st->jobs[0].last_code = 0;
	st->jobs[0].last_start = now - 21700;
	st->jobs[0].last_end = now - 21600;
	st->jobs[0].last_ok_end = now - 21600;
	st->jobs[0].interval = 21600;
	st->jobs[0].newest_good = now - 21700;
	st->jobs[0].next_run = now + 21600;
	st->jobs[0].run_start = now - 10;
	st->jobs[0].progress.bytes_out = 10 << 20;
	st->jobs[0].progress.items_done = 100;
	st->jobs[0].progress.items_total = 300;
	snprintf(st->jobs[0].progress.current,
	    sizeof(st->jobs[0].progress.current), "shop.orders");
	snprintf(st->jobs[1].name, sizeof(st->jobs[1].name), "notes");
	st->jobs[1].kind = JOB_SQLITE;
	st->jobs[1].state = f->failed ? CTL_BACKOFF : CTL_IDLE;
	st->jobs[1].interval = 21600;
	st->jobs[1].last_start = now - 100;
	st->jobs[1].last_end = now - 90;
	st->jobs[1].last_code = f->failed ? CAIRN_E_SOURCE : 0;
	st->jobs[1].last_ok_end = now - 90;
	st->jobs[1].newest_good = now - 100;
	st->jobs[1].next_run = now + 600;
	if (f->failed)
		snprintf(st->jobs[1].last_message,
		    sizeof(st->jobs[1].last_message), "notes.db: gone");
	return CAIRN_E_OK;
}

static int
fake_run(void *arg, const char *job, uint64_t *ticket, char *err,
    size_t errlen)
{
	struct fake	*f = arg;

	if (strcmp(job, "shop") != 0 && strcmp(job, "all") != 0) {
		snprintf(err, errlen, "no such job: %s", job);
		return CAIRN_E_USAGE;
	}
	f->runs++;
	snprintf(f->last_job, sizeof(f->last_job), "%s", job);
	*ticket = f->waiting = ++f->next_ticket;
	return CAIRN_E_OK;
}

static int
fake_verify(void *arg, const char *artifact, uint64_t *ticket, char *err,
    size_t errlen)
{
	struct fake	*f = arg;

	(void)err;
	(void)errlen;
	snprintf(f->last_job, sizeof(f->last_job), "%s",
	    artifact ? artifact : "(all)");
	*ticket = ++f->next_ticket;
	return CAIRN_E_OK;
}

static int
fake_prune(void *arg, int dry_run, struct ctl_prune_plan *plan,
    uint64_t *ticket, char *err, size_t errlen)
{
	struct fake	*f = arg;

	(void)err;
	(void)errlen;
	if (!dry_run) {
		*ticket = ++f->next_ticket;
		return CAIRN_E_OK;
	}
	plan->n = 2;
	plan->kept = 5;
	plan->items = xcalloc(2, sizeof(*plan->items));
	snprintf(plan->items[0].path, sizeof(plan->items[0].path),
	    "shop/shop_backup_20260101_000000.sql.gz");
	snprintf(plan->items[0].reason, sizeof(plan->items[0].reason),
	    "older than 7 days");
	snprintf(plan->items[1].path, sizeof(plan->items[1].path),
	    "notes/notes_backup_20260101_000000.db.gz");
	snprintf(plan->items[1].reason, sizeof(plan->items[1].reason),
	    "older than 7 days");
	return CAIRN_E_OK;
}

static int
fake_reload(void *arg, char *err, size_t errlen)
{
	struct fake	*f = arg;

	f->reloads++;
	snprintf(err, errlen, "reloaded: 2 jobs");
	return CAIRN_E_OK;
}

static const struct ctl_ops fake_ops = {
	fake_status, fake_run, fake_verify, fake_prune, fake_reload, NULL,
};

/* -- driving the server ------------------------------------------------- */

static struct ctl_srv	*srv;
static struct fake	 fake;
static char		 sockpath[256];

/* one turn of a supervisor's loop, waiting at most ms */
static void
pump(int ms)
{
	struct pollfd	 pfd[CTL_MAX_CONN + 1];
	size_t		 n;
	int		 t;

	n = ctl_pollfds(srv, pfd, nitems(pfd));
	t = ctl_next_timeout(srv, util_now_ms());
	if (t == -1 || t > ms)
		t = ms;
	if (poll(pfd, n, t) == -1 && errno != EINTR)
		bail("poll: %s", strerror(errno));
	ctl_dispatch(srv, pfd, n, util_now_ms());
}

struct result {
	int		 rc;		/* ctl_call's return */
	int		 err;		/* its errno */
	int		 code;
	char		 body[8192];
};

/*
 * Runs ctl_call() in a child (optionally as uid/gid first) while this
 * process serves; hook runs each turn (run --wait).
 */
static void
call(struct result *r, uint32_t flags, int argc, char *const argv[],
    uid_t as_uid, gid_t as_gid, gid_t extra_gid, void (*hook)(void))
{
	int		 p[2], st;
	pid_t		 pid;
	size_t		 got = 0;
	ssize_t		 n;
	struct pollfd	 pf;

	memset(r, 0, sizeof(*r));
	if (pipe(p) == -1)
		bail("pipe");
	if ((pid = fork()) == -1)
		bail("fork");
	if (pid == 0) {
		char	 err[512], *body = NULL;
		int	 code = -1, rc;

		close(p[0]);
		if (as_uid != (uid_t)-1) {
			gid_t	 g[1] = { extra_gid };

			if (setgroups(extra_gid != (gid_t)-1 ? 1 : 0, g) ==
			    -1 || setgid(as_gid) == -1 || setuid(as_uid) == -1)
				_exit(99);
		}
		rc = ctl_call(sockpath, flags, argc, argv, 5000, &code, &body,
		    err, sizeof(err));
		dprintf(p[1], "%d %d %d\n%s", rc, rc == -1 ? errno : 0, code,
		    rc == -1 ? err : body);
		free(body);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		pump(20);
		if (hook != NULL)
			hook();
		pf.fd = p[0];
		pf.events = POLLIN;
		if (poll(&pf, 1, 0) <= 0)
			continue;
		n = read(p[0], r->body + got, sizeof(r->body) - 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	r->body[got] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		diag("client child ended with status %d", st);
	if (sscanf(r->body, "%d %d %d", &r->rc, &r->err, &r->code) != 3)
		r->rc = -2;
	memmove(r->body, strchr(r->body, '\n') ? strchr(r->body, '\n') + 1 :
	    r->body, strlen(strchr(r->body, '\n') ? strchr(r->body, '\n') + 1 :
	    r->body) + 1);
}

#define CALL(r, flags, ...) do { \
	char *const _a[] = { __VA_ARGS__ }; \
	call((r), (flags), (int)nitems(_a), _a, (uid_t)-1, (gid_t)-1, \
	    (gid_t)-1, NULL); \
} while (0)

static int	 wait_done;

/* run --wait: once the client waits, finish the run */
static void
finish_when_waiting(void)
{
	if (wait_done || fake.waiting == 0 || ctl_nconn(srv) != 1)
		return;
	ctl_ticket_done(srv, fake.waiting, CAIRN_E_DB_DUMP,
	    "shop: dump failed: lost connection");
	wait_done = 1;
}

/* a raw client on a socketpair; returns our end */
static int
raw_client(void)
{
	int	 sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		bail("socketpair");
	if (ctl_adopt(srv, sp[1], util_now_ms()) == -1)
		bail("ctl_adopt");
	return sp[0];
}

/* pumps until fd has a whole reply or EOF; returns the code, -1 on EOF */
static int
raw_reply(int fd, char *body, size_t len)
{
	unsigned char	 buf[CTL_HDR_LEN + 4096];
	struct ctl_hdr	 h;
	size_t		 got = 0;
	ssize_t		 n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 500; i++) {
		pump(10);
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		if (got >= CTL_HDR_LEN) {
			ctl_hdr_unpack(&h, buf);
			if (got >= CTL_HDR_LEN + h.length)
				break;
		}
	}
	if (got < CTL_HDR_LEN)
		return -1;
	ctl_hdr_unpack(&h, buf);
	snprintf(body, len, "%.*s", (int)(got - CTL_HDR_LEN),
	    (char *)buf + CTL_HDR_LEN);
	return (int)h.word;
}

/* -- audit checks ------------------------------------------------------- */

struct seen {
	int	 ctl_run, refused, rejected, dropped;
	int	 uid_ok;
};

static int
audit_seen(const struct audit_record *r, void *arg)
{
	struct seen	*s = arg;
	const char	*cmd = NULL;
	uint64_t	 uid = (uint64_t)-1;
	int64_t		 pid = 0;

	if (r->event == NULL)
		return 0;
	for (size_t i = 0; i < r->nfields; i++) {
		if (strcmp(r->fields[i].key, "command") == 0 &&
		    r->fields[i].type == AUDIT_STR)
			cmd = r->fields[i].v.s;
		if (strcmp(r->fields[i].key, "uid") == 0)
			uid = r->fields[i].v.u;
		if (strcmp(r->fields[i].key, "pid") == 0)
			pid = r->fields[i].type == AUDIT_UINT ?
			    (int64_t)r->fields[i].v.u : r->fields[i].v.i;
	}
	if (strcmp(r->event, "ctl") == 0 && cmd && strcmp(cmd, "run") == 0) {
		s->ctl_run++;
		if (uid == (uint64_t)getuid() && pid > 0 && pid != getpid())
			s->uid_ok++;
	}
	if (strcmp(r->event, "ctl_refused") == 0)
		s->refused++;
	if (strcmp(r->event, "ctl_rejected") == 0)
		s->rejected++;
	if (strcmp(r->event, "ctl_dropped") == 0)
		s->dropped++;
	return 0;
}

int
main(void)
{
	struct audit		*au;
	struct audit_report	 rep;
	struct result		 r;
	struct stat		 sb;
	struct sockaddr_un	 sun;
	struct ctl_hdr		 h;
	struct seen		 seen;
	unsigned char		 hdr[CTL_HDR_LEN], *req;
	char			*dir, err[512], body[4096], apath[300];
	char			*many[CTL_ARGS_MAX + 2], big[CTL_REQ_MAX];
	size_t			 reqlen;
	int			 fd, lfd, code;

	plan(47);
	signal(SIGPIPE, SIG_IGN);
	log_init("80-ctl", 0);
	dir = tap_tmpdir();
	snprintf(sockpath, sizeof(sockpath), "%s/ctl.sock", dir);
	snprintf(apath, sizeof(apath), "%s/audit.log", dir);
	if ((au = audit_open(apath, err, sizeof(err))) == NULL)
		bail("audit_open: %s", err);

	/* -- encoding bounds -- */
	for (int i = 0; i < CTL_ARGS_MAX + 1; i++)
		many[i] = (char *)"x";
	ok(ctl_request_pack(0, CTL_ARGS_MAX + 1, many, &req, &reqlen) == -1 &&
	    errno == EMSGSIZE, "a request with too many strings is not built");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	many[0] = (char *)"run";
	many[1] = big;
	ok(ctl_request_pack(0, 2, many, &req, &reqlen) == -1 &&
	    errno == EMSGSIZE, "a request over CTL_REQ_MAX is not built");

	/* -- the socket -- */
	srv = ctl_listen(sockpath, 0660, getegid(), &fake_ops, &fake, au, err,
	    sizeof(err));
	if (srv == NULL)
		bail("ctl_listen: %s", err);
	ok(stat(sockpath, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 07777) == 0660, "socket created with mode 0660");
	is_int(sb.st_gid, getegid(), "and the group given");
	ok(ctl_listen(sockpath, 0660, (gid_t)-1, &fake_ops, &fake, NULL, err,
	    sizeof(err)) == NULL && errno == EADDRINUSE,
	    "a second server refuses to start while one answers");
	ok(strstr(err, "another cairnd answers") != NULL, "and says why: %s",
	    err);

	/* -- commands -- */
	CALL(&r, 0, "status");
	is_int(r.code, 0, "status answers 0");
	ok(strstr(r.body, "shop") && strstr(r.body, "running") &&
	    strstr(r.body, "at shop.orders") && strstr(r.body, "eta"),
	    "status shows jobs and a running job's progress");
	CALL(&r, CTL_F_JSON, "status");
	ok(strncmp(r.body, "{\"protocol\":1,", 14) == 0 &&
	    strstr(r.body, "\"name\":\"notes\"") &&
	    strstr(r.body, "\"items_total\":300"), "status --json");
	CALL(&r, 0, "health");
	is_int(r.code, 0, "health: 0 while every job is fine");
	fake.failed = 1;
	CALL(&r, 0, "health");
	is_int(r.code, CAIRN_E_FAIL, "health: 1 once a job's last run failed");
	ok(strstr(r.body, "notes: last run failed (code 94") != NULL,
	    "and names the job and cause");
	CALL(&r, CTL_F_JSON, "health");
	ok(strstr(r.body, "\"healthy\":false") != NULL, "health --json");
	fake.failed = 0;

	CALL(&r, 0, "run", "shop");
	ok(r.code == 0 && strstr(r.body, "started shop (ticket 1)") &&
	    fake.runs == 1, "run starts a job and answers at once");
	CALL(&r, 0, "run", "nosuch");
	ok(r.code == CAIRN_E_USAGE && strstr(r.body, "no such job: nosuch"),
	    "run of an unknown job: usage error with the op's message");
	CALL(&r, 0, "run");
	is_int(r.code, CAIRN_E_USAGE, "run without a job: usage error");
	CALL(&r, 0, "frobnicate");
	ok(r.code == CAIRN_E_USAGE && strstr(r.body, "unknown command"),
	    "unknown command");
	CALL(&r, 0, "verify", "--all");
	ok(r.code == 0 && strcmp(fake.last_job, "(all)") == 0,
	    "verify --all asks for every artifact");
	CALL(&r, 0, "verify", "shop/x.sql.gz");
	ok(r.code == 0 && strcmp(fake.last_job, "shop/x.sql.gz") == 0,
	    "verify ARTIFACT");
	CALL(&r, 0, "prune", "--dry-run");
	ok(r.code == 0 && strstr(r.body, "would delete shop/shop_backup_"
	    "20260101_000000.sql.gz (older than 7 days)") &&
	    strstr(r.body, "2 to delete, 5 kept"), "prune --dry-run shows the "
	    "plan");
	CALL(&r, CTL_F_JSON, "prune", "--dry-run");
	ok(strstr(r.body, "\"delete\":[{\"path\":") != NULL,
	    "prune --dry-run --json");
	CALL(&r, CTL_F_JSON, "reload");
	ok(r.code == 0 && fake.reloads == 1 && strcmp(r.body,
	    "{\"code\":0,\"message\":\"reloaded: 2 jobs\"}\n") == 0,
	    "reload --json");

	/* -- run --wait -- */
	{
		char *const a[] = { (char *)"run", (char *)"shop" };

		fake.waiting = 0;
		call(&r, CTL_F_WAIT, 2, a, (uid_t)-1, (gid_t)-1, (gid_t)-1,
		    finish_when_waiting);
	}
	ok(wait_done, "the client waited for the run");
	ok(r.code == CAIRN_E_DB_DUMP &&
	    strstr(r.body, "dump failed: lost connection"),
	    "run --wait answers with the run's code and message");
	is_int(ctl_nconn(srv), 0, "the connection is closed after the answer");

	/* -- protocol errors -- */
	fd = raw_client();
	memcpy(h.magic, CTL_REQ_MAGIC, 4);
	h.version = 99;
	h.word = 0;
	h.length = 7;
	ctl_hdr_pack(hdr, &h);
	write(fd, hdr, sizeof(hdr));
	write(fd, "status", 7);
	code = raw_reply(fd, body, sizeof(body));
	is_int(code, CAIRN_E_PROTOCOL, "another protocol version: code 76");
	ok(strstr(body, "cairnd speaks protocol 1, this cairnctl speaks 99: "
	    "install matching versions") != NULL, "with a clear message");
	close(fd);

	fd = raw_client();
	h.version = CTL_PROTO_VERSION;
	h.length = 1u << 20;
	ctl_hdr_pack(hdr, &h);
	write(fd, hdr, sizeof(hdr));
	code = raw_reply(fd, body, sizeof(body));
	ok(code == CAIRN_E_PROTOCOL && strstr(body, "refused"),
	    "an oversized request is refused before its body is read");
	ok(read(fd, body, 1) == 0 && ctl_nconn(srv) == 0,
	    "and the connection closed");
	close(fd);

	fd = raw_client();
	h.length = 5;
	h.word = 0x80;
	ctl_hdr_pack(hdr, &h);
	write(fd, hdr, sizeof(hdr));
	write(fd, "x\0y\0", 5);
	code = raw_reply(fd, body, sizeof(body));
	ok(code == CAIRN_E_PROTOCOL, "unknown flags refused: %s", body);
	close(fd);

	/* -- a stalled client: half a header, then nothing -- */
	fd = raw_client();
	write(fd, CTL_REQ_MAGIC, 4);
	pump(0);
	is_int(ctl_nconn(srv), 1, "a slow client is kept within the timeout");
	ok(ctl_next_timeout(srv, util_now_ms()) > 0,
	    "and its deadline is in ctl_next_timeout()");
	ctl_dispatch(srv, NULL, 0, util_now_ms() + CTL_IO_TIMEOUT_MS + 1);
	is_int(ctl_nconn(srv), 0, "a stalled client is dropped at its deadline");
	ok(read(fd, body, 1) == 0, "its connection is closed");
	close(fd);

	/* -- credentials -- */
	if (geteuid() == 0) {
		char *const a[] = { (char *)"run", (char *)"shop" };

		chmod(dir, 0711);	/* let SO_PEERCRED decide */
		chmod(sockpath, 0666);
		ctl_set_group(srv, 12345);
		call(&r, 0, 2, a, 65534, 65534, (gid_t)-1, NULL);
		ok(r.code == CAIRN_E_NOPERM && strstr(r.body,
		    "permission denied"), "another uid is refused (77): %s",
		    r.body);
		call(&r, 0, 2, a, 65534, 65534, 12345, NULL);
		is_int(r.code, 0, "a member of the socket group is accepted "
		    "(supplementary group)");
		ctl_set_group(srv, 65534);
		call(&r, 0, 2, a, 65534, 65534, (gid_t)-1, NULL);
		is_int(r.code, 0, "a peer whose gid is the socket group is "
		    "accepted");
		ctl_set_group(srv, 12345);
		call(&r, 0, 2, a, 65533, 12345, (gid_t)-1, NULL);
		is_int(r.code, 0, "primary group check");
		chmod(sockpath, 0660);
		chmod(dir, 0700);
	} else {
		gid_t	 g[64];
		int	 ng = getgroups(64, g);
		gid_t	 other = 54321;

		for (int i = 0; i < ng; i++)
			if (g[i] == other)
				other++;
		ctl_set_uid(srv, getuid() + 1);
		ctl_set_group(srv, other);
		CALL(&r, 0, "run", "shop");
		ok(r.code == CAIRN_E_NOPERM && strstr(r.body,
		    "permission denied"), "a uid other than the daemon's is "
		    "refused (77)");
		ctl_set_group(srv, getegid());
		CALL(&r, 0, "run", "shop");
		is_int(r.code, 0, "a member of the socket group is accepted");
		ctl_set_uid(srv, getuid());
		ctl_set_group(srv, other);
		CALL(&r, 0, "run", "shop");
		is_int(r.code, 0, "the daemon's own uid is accepted");
		skip(1, "root only: supplementary groups of another uid");
		ctl_set_group(srv, getegid());
	}

	/* -- a client of another version reading our reply -- */
	{
		int	 cfd;
		pid_t	 pid;
		int	 st;
		char	 path2[300];

		snprintf(path2, sizeof(path2), "%s/other.sock", dir);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path2) >= sizeof(sun.sun_path))
			bail("%s: path too long", path2);
		memcpy(sun.sun_path, path2, strlen(path2) + 1);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1 || listen(lfd, 1) == -1)
			bail("listen %s", path2);
		if ((pid = fork()) == 0) {
			char	*b = NULL;
			char	*const a[] = { (char *)"status" };

			code = 0;
			if (ctl_call(path2, 0, 1, a, 5000, &code, &b, err,
			    sizeof(err)) == -1 && errno == EPROTONOSUPPORT &&
			    strstr(err, "cairnd speaks protocol 2, this "
			    "cairnctl speaks 1") != NULL)
				_exit(0);
			_exit(1);
		}
		cfd = accept(lfd, NULL, NULL);
		read(cfd, body, sizeof(body));
		memcpy(h.magic, CTL_REPLY_MAGIC, 4);
		h.version = 2;
		h.word = 0;
		h.length = 0;
		ctl_hdr_pack(hdr, &h);
		write(cfd, hdr, sizeof(hdr));
		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cairnctl names both "
		    "versions when the daemon speaks another");
		close(cfd);

		/* the stale socket from this server, once it is gone */
		close(lfd);
		ctl_close(srv);
		ok(access(sockpath, F_OK) == -1, "ctl_close removes the socket");
		srv = ctl_listen(path2, 0660, (gid_t)-1, &fake_ops, &fake, au,
		    err, sizeof(err));
		ok(srv != NULL, "a stale socket file is replaced: %s",
		    srv ? "ok" : err);
		ctl_close(srv);
		srv = NULL;
		fd = open(path2, O_CREAT | O_WRONLY, 0600);
		close(fd);
		ok(ctl_listen(path2, 0660, (gid_t)-1, &fake_ops, &fake, au,
		    err, sizeof(err)) == NULL && errno == EEXIST,
		    "a file that is not a socket is left alone: %s", err);
		unlink(path2);
	}

	/* -- the audit trail -- */
	memset(&seen, 0, sizeof(seen));
	audit_close(au);
	ok(audit_tail(apath, 0, audit_seen, &seen, err, sizeof(err)) == 0,
	    "the audit trail reads back");
	ok(seen.ctl_run >= 3, "each run command is audited (%d)",
	    seen.ctl_run);
	ok(seen.uid_ok >= 3, "with the peer's uid and pid");
	ok(seen.refused >= 1 && seen.rejected >= 3 && seen.dropped == 1,
	    "refused, rejected and dropped clients are audited (%d %d %d)",
	    seen.refused, seen.rejected, seen.dropped);
	ok(audit_verify(apath, 0, NULL, &rep) == 0, "the chain is intact");

	unlink(apath);
	rmdir(dir);
	free(dir);
	return tap_exit();
}
