/*
 * job_notify.c -- the notifier worker ("cairnd -N"): delivers alerts.
 *
 * The supervisor (src/cairnd/alerts.c) re-executes us with a SOCK_SEQPACKET
 * socket on fd 3 and hands over one delivery at a time, a record of
 * NUL-terminated fields:
 *
 *	id, notifier, type (webhook|command), timeout, retries, url,
 *	headers ("Name: value" lines), event, job, json, argv...
 *
 * We enter the sandbox first (kind JOB_NOTIFY: network, nothing writable,
 * programs may run but inherit all of it), then deliver each record,
 * retrying with a doubling delay, and answer "id\0ok|failed\0attempts\0
 * message".  End of file on the socket (the supervisor is gone or done)
 * ends us.  A webhook is an HTTP(S) POST by libcurl, 2xx is success; a
 * command gets the JSON on its stdin and must exit 0 within the timeout
 * (SIGALRM, which survives execve, ends it otherwise).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/curl_dl.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/sandbox.h"
#include "cairn/util.h"
#include "cairn/worker.h"

#define N_RECORD_MAX	65536
#define N_FIELDS	10		/* before argv */
#define N_BACKOFF_MS	1000		/* first retry delay; doubles */
#define N_BACKOFF_MAX	(5 * 60 * 1000)
#define N_OUTPUT_MAX	400		/* bytes of a command's output kept */

struct delivery_req {
	const char	*id, *name, *type, *url, *headers, *event, *job;
	const char	*json;
	int		 timeout, retries;
	char		*argv[64];
};

static int64_t	n_backoff_ms = N_BACKOFF_MS;

static int
n_parse(char *rec, size_t len, struct delivery_req *d)
{
	const char	*f[N_FIELDS];
	size_t		 i = 0, k = 0, na = 0;

	if (len == 0 || rec[len - 1] != '\0')
		return -1;
	while (i < len) {
		if (k < N_FIELDS)
			f[k++] = rec + i;
		else if (na < nitems(d->argv) - 1)
			d->argv[na++] = rec + i;
		else
			return -1;
		i += strlen(rec + i) + 1;
	}
	if (k < N_FIELDS)
		return -1;
	d->argv[na] = NULL;
	d->id = f[0];
	d->name = f[1];
	d->type = f[2];
	d->timeout = atoi(f[3]);
	d->retries = atoi(f[4]);
	d->url = f[5];
	d->headers = f[6];
	d->event = f[7];
	d->job = f[8];
	d->json = f[9];
	if (d->timeout <= 0)
		d->timeout = 10;
	if (d->retries < 0)
		d->retries = 0;
	return 0;
}

/* -- webhook ----------------------------------------------------------- */

static size_t
n_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
n_webhook(const struct delivery_req *d, char *msg, size_t msglen)
{
	char			 errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist	*hl = NULL, *t;
	char			*hdrs, *line, *save = NULL;
	long			 status = 0;
	CURLcode		 rc;
	CURL			*c;
	int			 ok = 0;

	if (curl_dl.easy_init == NULL) {
		snprintf(msg, msglen, "libcurl (%s) could not be loaded",
		    CURL_DL_SONAME);
		return 0;
	}
	if ((c = curl_dl.easy_init()) == NULL) {
		snprintf(msg, msglen, "curl_easy_init failed");
		return 0;
	}
	hdrs = xstrdup(d->headers);
	if ((t = curl_dl.slist_append(hl, "Content-Type: application/json")))
		hl = t;
	if ((t = curl_dl.slist_append(hl, "User-Agent: cairn/" PACKAGE_VERSION)))
		hl = t;
	for (line = strtok_r(hdrs, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save))
		if (line[0] != '#' && strchr(line, ':') != NULL &&
		    (t = curl_dl.slist_append(hl, line)) != NULL)
			hl = t;
	explicit_bzero(hdrs, strlen(hdrs));
	free(hdrs);
	curl_dl.easy_setopt(c, CURLOPT_URL, d->url);
	curl_dl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_dl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_dl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_dl.easy_setopt(c, CURLOPT_TIMEOUT, (long)d->timeout);
	curl_dl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)d->timeout);
	curl_dl.easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_dl.easy_setopt(c, CURLOPT_POSTFIELDS, d->json);
	curl_dl.easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(d->json));
	curl_dl.easy_setopt(c, CURLOPT_WRITEFUNCTION, n_discard);
	curl_dl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_dl.easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(msg, msglen, "%s", errbuf[0] != '\0' ? errbuf :
		    curl_dl.easy_strerror(rc));
	else {
		curl_dl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		ok = status >= 200 && status < 300;
		snprintf(msg, msglen, "HTTP %ld", status);
	}
	curl_dl.slist_free_all(hl);
	curl_dl.easy_cleanup(c);
	return ok;
}

/* -- command ----------------------------------------------------------- */

static void
n_child(const struct delivery_req *d, int in, int out)
{
	char	 ev[96], job[128], name[128];
	char	*envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", ev, job, name,
		    NULL };

	snprintf(ev, sizeof(ev), "CAIRN_EVENT=%s", d->event);
	snprintf(job, sizeof(job), "CAIRN_JOB=%s", d->job);
	snprintf(name, sizeof(name), "CAIRN_NOTIFIER=%s", d->name);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(126);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	alarm((unsigned)d->timeout);	/* survives execve */
	execve(d->argv[0], d->argv, envp);
	dprintf(2, "%s: %s", d->argv[0], strerror(errno));
	_exit(127);
}

static int
n_command(const struct delivery_req *d, char *msg, size_t msglen)
{
	char	 out[N_OUTPUT_MAX + 1];
	size_t	 nout = 0;
	ssize_t	 n;
	int	 pin[2], pout[2], st;
	pid_t	 pid;

	if (d->argv[0] == NULL) {
		snprintf(msg, msglen, "no command");
		return 0;
	}
	if (pipe2(pin, O_CLOEXEC) == -1)
		return snprintf(msg, msglen, "pipe: %s", strerror(errno)), 0;
	if (pipe2(pout, O_CLOEXEC) == -1) {
		snprintf(msg, msglen, "pipe: %s", strerror(errno));
		close(pin[0]);
		close(pin[1]);
		return 0;
	}
	if ((pid = fork()) == -1) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		return 0;
	}
	if (pid == 0)
		n_child(d, pin[0], pout[1]);
	close(pin[0]);
	close(pout[1]);
	/* a few KiB fit in the pipe: the program reads when it likes */
	(void)util_write_all(pin[1], d->json, strlen(d->json));
	(void)util_write_all(pin[1], "\n", 1);
	close(pin[1]);
	while ((n = read(pout[0], out + nout, N_OUTPUT_MAX - nout)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		nout += (size_t)n;
		if (nout == N_OUTPUT_MAX) {
			char	 sink[512];

			while ((n = read(pout[0], sink, sizeof(sink))) > 0 ||
			    (n == -1 && errno == EINTR))
				;
			break;
		}
	}
	close(pout[0]);
	out[nout] = '\0';
	while (nout > 0 && (out[nout - 1] == '\n' || out[nout - 1] == '\r'))
		out[--nout] = '\0';
	for (size_t i = 0; i < nout; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = ' ';
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		snprintf(msg, msglen, "exit 0%s%s", nout > 0 ? ": " : "", out);
		return 1;
	}
	if (WIFSIGNALED(st))
		snprintf(msg, msglen, "%s (signal %d)%s%s",
		    WTERMSIG(st) == SIGALRM ? "timed out" : "killed",
		    WTERMSIG(st), nout > 0 ? ": " : "", out);
	else
		snprintf(msg, msglen, "exit %d%s%s", WEXITSTATUS(st),
		    nout > 0 ? ": " : "", out);
	return 0;
}

/* -- the loop ---------------------------------------------------------- */

static void
n_sleep_ms(int64_t ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
n_deliver(int fd, const struct delivery_req *d)
{
	char		 msg[512], ans[700];
	int64_t		 delay = n_backoff_ms;
	int		 ok = 0, attempt, n;

	for (attempt = 1; ; attempt++) {
		msg[0] = '\0';
		if (strcmp(d->type, "webhook") == 0)
			ok = n_webhook(d, msg, sizeof(msg));
		else
			ok = n_command(d, msg, sizeof(msg));
		if (ok || attempt > d->retries)
			break;
		n_sleep_ms(delay);
		if ((delay *= 2) > N_BACKOFF_MAX)
			delay = N_BACKOFF_MAX;
	}
	n = snprintf(ans, sizeof(ans), "%s%c%s%c%d%c%s", d->id, '\0',
	    ok ? "ok" : "failed", '\0', attempt, '\0', msg);
	if (n > (int)sizeof(ans) - 1)
		n = (int)sizeof(ans) - 1;
	ans[n] = '\0';
	if (send(fd, ans, (size_t)n + 1, MSG_NOSIGNAL) == -1)
		_exit(CAIRN_E_OK);	/* the supervisor is gone */
}

static void
n_sandbox(void)
{
	struct sandbox_spec	 spec;
	struct sandbox_report	 rep;
	int			 keep[1] = { WORKER_CHAN_FD };
	char			 err[256];

	memset(&spec, 0, sizeof(spec));
	spec.kind = JOB_NOTIFY;
	spec.parent = getppid();
	spec.keep_fds = keep;
	spec.nkeep = nitems(keep);
	if (sandbox_enter(&spec, &rep, err, sizeof(err)) == -1)
		fatalx("notifier: %s", err);
}

__attribute__((noreturn)) void
notifier_main(void)
{
	struct delivery_req	 d;
	const char		*env;
	char			*rec, err[256] = "curl_global_init failed";
	ssize_t			 n;

	log_init("cairnd-notifier", 0);
	fatal_code = CAIRN_E_SOFTWARE;
	signal(SIGPIPE, SIG_IGN);
	if ((env = getenv("CAIRN_NOTIFY_BACKOFF_MS")) != NULL &&
	    atoi(env) > 0)
		n_backoff_ms = atoi(env);
	/* before the sandbox: libcurl reads nothing later it cannot */
	if (curl_dl_load(err, sizeof(err)) == -1 ||
	    curl_dl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		/* webhooks fail with that cause; commands still work */
		log_warnx("notifier: libcurl: %s", err);
		curl_dl.easy_init = NULL;	/* webhooks say it cannot */
	}
	n_sandbox();
	rec = xmalloc(N_RECORD_MAX);
	for (;;) {
		n = recv(WORKER_CHAN_FD, rec, N_RECORD_MAX, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		memset(&d, 0, sizeof(d));
		if (n_parse(rec, (size_t)n, &d) == -1)
			fatalx("notifier: malformed record");
		n_deliver(WORKER_CHAN_FD, &d);
		explicit_bzero(rec, (size_t)n);
	}
	free(rec);
	if (curl_dl.global_cleanup != NULL)
		curl_dl.global_cleanup();
	_exit(CAIRN_E_OK);
}
