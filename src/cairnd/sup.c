/*
 * sup.c -- the supervision loop: one poll() over the signal fd and the
 * workers' channels, timers for cron fires, retries, heartbeats, kills,
 * shutdown and the systemd watchdog.  Single-threaded; see
 * docs/architecture.md for the state machine.
 */
#include "config.h"

#include <sys/signalfd.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn/audit.h"
#include "ctl_server.h"
#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/notify.h"
#include "cairn/util.h"
#include "schedule.h"
#include "sup_int.h"

/* -- helpers ----------------------------------------------------------- */

int64_t
now_ms(void)
{
	return util_now_ms();
}

const char *
sig_name(int sig)
{
	const char	*s = sigabbrev_np(sig);

	return s != NULL ? s : "?";
}

void
conf_ref_drop(struct conf_ref *r)
{
	if (r != NULL && --r->refs == 0) {
		conf_free(r->conf);
		free(r);
	}
}

/* -- systemd notify (NOTIFY_SOCKET) ----------------------------------- */

static void
sup_notify(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
sup_notify(const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	notify_send(msg);
}

void
sup_status(struct sup *s)
{
	size_t	 queued = 0, backoff = 0;

	/* the configured jobs; not maint.c's verify and prune slots */
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i]->maint)
			continue;
		if (s->slots[i]->state == SLOT_QUEUED)
			queued++;
		else if (s->slots[i]->state == SLOT_BACKOFF)
			backoff++;
	}
	sup_notify("STATUS=%zu jobs, %d running, %zu queued, %zu retrying%s",
	    s->cur->conf->njobs, s->nrunning, queued, backoff,
	    s->stopping ? ", stopping" : "");
}

/* -- failing, killing -------------------------------------------------- */

void
sup_worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list	 ap;

	if (w->cause[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->cause, sizeof(w->cause), fmt, ap);
	va_end(ap);
}

static void
sup_worker_signal(struct sup *s, struct worker *w, int sig, const char *why)
{
	if (w->reaped || w->pid <= 0)
		return;
	if (sig == SIGKILL) {
		if (w->kill_sent)
			return;
		w->kill_sent = 1;
		sup_audit(s, "job-killed", AF_STR("job", w->job->name),
		    AF_UINT("gen", w->gen), AF_INT("pid", w->pid),
		    AF_STR("signal", "KILL"), AF_STR("reason", why));
		log_warnx("%s: killing worker %ld (%s)", w->job->name,
		    (long)w->pid, why);
	} else {
		if (w->term_sent)
			return;
		w->term_sent = 1;
		w->kill_at = now_ms() + sup_kill_grace_ms(w->ref->conf);
		log_warnx("%s: stopping worker %ld (%s)", w->job->name,
		    (long)w->pid, why);
	}
	/*
	 * The worker leads its own process group once sandboxed: signal the
	 * group (helpers it started too) and the process itself (before
	 * setpgid).  SIGCONT lets a stopped worker see its SIGTERM.
	 */
	(void)kill(-w->pid, sig);
	(void)kill(w->pid, sig);
	if (sig == SIGTERM)
		(void)kill(w->pid, SIGCONT);
}

static void
sup_violation(struct sup *s, struct worker *w, const char *why)
{
	if (w->violation)
		return;
	w->violation = 1;
	sup_worker_fail(w, "protocol violation: %s", why);
	log_warnx("%s: worker %ld broke protocol: %s", w->job->name,
	    (long)w->pid, why);
	sup_audit(s, "protocol-violation", AF_STR("job", w->job->name),
	    AF_UINT("gen", w->gen), AF_INT("pid", w->pid),
	    AF_STR("reason", why));
	sup_worker_signal(s, w, SIGKILL, "protocol violation");
}

/* -- frames from a worker ---------------------------------------------- */

/* Log lines from a worker are untrusted text: one line, printable. */
static void
sup_clean_text(char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			*t = '?';
}

/*
 * One frame from a worker, checked against what it may say now.  Long (one
 * case per frame type, each a few lines of checks then a record) on purpose:
 * the protocol's whole state machine reads in one place.
 */
static void
sup_frame(struct sup *s, struct worker *w, const struct frame_hdr *h,
    const unsigned char *p)
{
	struct msg_hello	 hello;
	struct msg_log		 lm;
	size_t			 n;
	const char		*prefix;

	if (h->gen != w->gen) {
		/* gossip from another run: ignore it */
		log_debug("%s: ignoring %s from gen %u (current %u)",
		    w->job->name, frame_type_name(h->type), h->gen, w->gen);
		return;
	}
	w->deadline = now_ms() + (int64_t)w->ref->conf->heartbeat_timeout *
	    1000;
	switch (h->type) {
	case MSG_HELLO:
		if (frame_decode_hello(p, h->len, &hello) == -1 ||
		    hello.gen != w->gen || (pid_t)hello.pid != w->pid) {
			sup_violation(s, w, "bad hello");
			return;
		}
		w->hello = 1;
		break;
	case MSG_HEARTBEAT:
		if (frame_decode_heartbeat(p, h->len, &w->progress) == -1)
			sup_violation(s, w, "bad heartbeat");
		break;
	case MSG_LOG:
		if (frame_decode_log(p, h->len, &lm) == -1) {
			sup_violation(s, w, "bad log frame");
			return;
		}
		sup_clean_text(lm.text);
		log_msg(lm.level, "%s[%ld]: %s", w->job->name, (long)w->pid,
		    lm.text);
		break;
	case MSG_ARTIFACT:
		if (w->job->kind != JOB_MYSQL && w->job->kind != JOB_SQLITE) {
			sup_violation(s, w, "artifact from a verify/prune job");
			return;
		}
		if (frame_decode_artifact(p, h->len, &w->artifact) == -1) {
			sup_violation(s, w, "bad artifact frame");
			return;
		}
		prefix = w->job->name;
		if (strncmp(w->artifact.name, prefix, strlen(prefix)) != 0 ||
		    strncmp(w->artifact.name + strlen(prefix), "_backup_", 8)
		    != 0) {
			sup_violation(s, w, "artifact name not of its job");
			return;
		}
		w->have_artifact = 1;
		break;
	case MSG_TABLES:
		w->tables = xreallocarray(w->tables,
		    w->ntables + FRAME_TABLES_PER_FRAME, sizeof(*w->tables));
		if (frame_decode_tables(p, h->len, w->tables + w->ntables,
		    FRAME_TABLES_PER_FRAME, &n) == -1) {
			sup_violation(s, w, "bad tables frame");
			return;
		}
		w->ntables += n;
		break;
	case MSG_DONE:
		if (frame_decode_done(p, h->len, &w->done) == -1) {
			sup_violation(s, w, "bad done frame");
			return;
		}
		sup_clean_text(w->done.message);
		w->have_done = 1;
		break;
	case MSG_RESULT:
		if (!w->slot->maint ||
		    maint_result(s->maint, w, p, h->len) == -1)
			sup_violation(s, w, "bad result frame");
		break;
	default:
		sup_violation(s, w, "unexpected frame");
		break;
	}
}

/* Reads and handles what the worker sent; at EOF the channel is closed. */
void
sup_worker_input(struct sup *s, struct worker *w)
{
	struct frame_hdr	 h;
	const unsigned char	*p;
	ssize_t			 n;
	int			 r = 0;

	while (w->chan != NULL) {
		n = chan_read(w->chan);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n > 0) {
			while (!w->violation &&
			    (r = chan_get(w->chan, &h, &p)) == 1)
				sup_frame(s, w, &h, p);
			if (!w->violation && r == -1)
				sup_violation(s, w, chan_error(w->chan));
			if (!w->violation)
				continue;
		} else if (n == -1 && !w->violation)
			log_warn("%s: worker %ld: read", w->job->name,
			    (long)w->pid);
		else if (n == 0 && !w->violation &&
		    chan_pending_in(w->chan) > 0 && w->have_done)
			sup_violation(s, w, "truncated frame");
		/* end of file, an error or a violation: stop listening */
		chan_free(w->chan);
		w->chan = NULL;
	}
}

/* -- timers ------------------------------------------------------------ */

static void
sup_timers(struct sup *s)
{
	const struct conf	*c = s->cur->conf;
	struct slot		*sl, *next;
	struct worker		*w;
	const char		*skip;
	time_t			 now = time(NULL);
	int64_t			 ms = now_ms();

	for (size_t i = 0; i < s->nslots; i++) {
		sl = s->slots[i];
		w = sl->w;
		if (w != NULL && !w->reaped) {
			if (!w->term_sent && !w->kill_sent &&
			    ms >= w->deadline) {
				w->timed_out = 1;
				sup_worker_fail(w, w->hello ?
				    "heartbeat timeout (silent for %ds)" :
				    "no hello within %ds", w->hello ?
				    w->ref->conf->heartbeat_timeout :
				    SUP_HELLO_TIMEOUT_MS / 1000);
				sup_audit(s, "worker-heartbeat-timeout",
				    AF_STR("job", sl->name),
				    AF_UINT("gen", w->gen),
				    AF_INT("pid", w->pid),
				    AF_INT("timeout", w->hello ?
				    w->ref->conf->heartbeat_timeout :
				    SUP_HELLO_TIMEOUT_MS / 1000));
				sup_worker_signal(s, w, SIGTERM,
				    "heartbeat timeout");
			}
			if (w->term_sent && !w->kill_sent && ms >= w->kill_at)
				sup_worker_signal(s, w, SIGKILL,
				    w->timed_out ? "heartbeat timeout" :
				    "did not stop");
		}
		if (s->stopping)
			continue;
		if (sl->next_fire != -1 && now >= sl->next_fire) {
			sup_audit(s, "job-scheduled", AF_STR("job", sl->name),
			    AF_STR("reason", "cron"));
			if ((skip = sched_skip_reason(sl->state)) != NULL) {
				log_warnx("%s: due but still %s: skipped",
				    sl->name, skip);
				sup_audit(s, "job-skipped",
				    AF_STR("job", sl->name),
				    AF_STR("reason", skip));
			} else
				sup_enqueue(s, sl);
			sup_slot_schedule(s, sl, now);
		}
		if (sl->state == SLOT_BACKOFF && ms >= sl->retry_at)
			sup_enqueue(s, sl);
	}
	if (s->stopping)
		return;
	maint_timers(s->maint, now);
	alerts_timers(s->alerts);
	/* start queued runs, oldest first, while there is room */
	while (sched_has_room(s->nrunning, c->max_workers)) {
		if ((next = sched_pick_next(s->slots, s->nslots)) == NULL)
			break;
		sup_spawn(s, next);
		if (next->w != NULL && next->w->reaped)
			sup_worker_end(s, next->w);	/* failed to start */
	}
}

/* Milliseconds until the next thing the loop must do. */
static int
sup_next_wait(struct sup *s)
{
	struct timespec	 ts;
	int64_t		 ms = now_ms(), wall, best = SUP_MAX_WAIT_MS, d;
	struct slot	*sl;
	struct worker	*w;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#define CONSIDER(x)	do { d = (x); if (d < best) best = d; } while (0)
	for (size_t i = 0; i < s->nslots; i++) {
		sl = s->slots[i];
		if ((w = sl->w) != NULL && !w->reaped) {
			if (!w->term_sent)
				CONSIDER(w->deadline - ms);
			else if (!w->kill_sent)
				CONSIDER(w->kill_at - ms);
		}
		if (s->stopping)
			continue;
		if (sl->next_fire != -1)
			CONSIDER((int64_t)sl->next_fire * 1000 - wall);
		if (sl->state == SLOT_BACKOFF)
			CONSIDER(sl->retry_at - ms);
		if (sl->state == SLOT_QUEUED &&
		    sched_has_room(s->nrunning, s->cur->conf->max_workers))
			CONSIDER(0);
	}
	/* once past it every worker got SIGKILL: wait for SIGCHLD alone */
	if (s->stopping && s->stop_deadline > ms)
		CONSIDER(s->stop_deadline - ms);
	else
		CONSIDER(maint_wait_ms(s->maint, wall));
	if (s->watchdog_ms > 0)
		CONSIDER(s->watchdog_next - ms);
	if ((d = alerts_wait_ms(s->alerts)) >= 0)
		CONSIDER(d);
#undef CONSIDER
	return best < 0 ? 0 : (int)best;
}

/* -- -o: is the cycle over? -------------------------------------------- */

static int
sup_once_done(struct sup *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i]->state != SLOT_IDLE || !s->slots[i]->done_once)
			return 0;
	return 1;
}

/* -- shutdown ---------------------------------------------------------- */

static void
sup_stop_begin(struct sup *s, int sig)
{
	if (s->stopping) {
		/* a second signal: do not wait any longer */
		s->stop_deadline = now_ms();
		return;
	}
	s->stopping = 1;
	s->stop_deadline = now_ms() +
	    (int64_t)s->cur->conf->shutdown_timeout * 1000;
	log_info("SIG%s: stopping, %d worker%s running", sig_name(sig),
	    s->nrunning, s->nrunning == 1 ? "" : "s");
	sup_notify("STOPPING=1");
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i]->state == SLOT_QUEUED ||
		    s->slots[i]->state == SLOT_BACKOFF)
			s->slots[i]->state = SLOT_IDLE;
}

static void
sup_stop_check(struct sup *s)
{
	struct worker	*w;

	if (now_ms() < s->stop_deadline)
		return;
	for (size_t i = 0; i < s->nslots; i++)
		if ((w = s->slots[i]->w) != NULL && !w->reaped) {
			w->shutdown_kill = 1;
			sup_worker_fail(w, "killed at shutdown");
			sup_worker_signal(s, w, SIGKILL, "shutdown timeout");
		}
}

/* -- the loop ---------------------------------------------------------- */

static int
sup_signals_open(void)
{
	sigset_t	 set;
	int		 fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd;
}

static void
sup_signals_read(struct sup *s, int *chld, int *hup, int *term)
{
	struct signalfd_siginfo	 si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			*chld = 1;
			break;
		case SIGHUP:
			*hup = 1;
			break;
		default:
			*term = (int)si.ssi_signo;
			break;
		}
	}
}

/*
 * Fill pfd: the signal fd first, then one entry per listening worker
 * (ws[] gets the worker of each), then the control socket's *nctl entries
 * from *ctl_first on.
 */
static nfds_t
sup_pollfds(struct sup *s, struct pollfd *pfd, struct worker **ws,
    size_t max, size_t *ctl_first, size_t *nctl, size_t *nal)
{
	nfds_t		 n = 0;
	struct worker	*w;

	pfd[n].fd = s->sigfd;
	pfd[n].events = POLLIN;
	ws[n++] = NULL;
	for (size_t i = 0; i < s->nslots && n < max; i++) {
		if ((w = s->slots[i]->w) == NULL || w->chan == NULL)
			continue;
		pfd[n].fd = chan_fd(w->chan);
		pfd[n].events = POLLIN |
		    (chan_want_write(w->chan) ? POLLOUT : 0);
		ws[n++] = w;
	}
	/* the notifier worker's socket, then the control socket */
	*nal = alerts_pollfds(s->alerts, pfd + n, max - n);
	for (size_t k = 0; k < *nal; k++)
		ws[n++] = NULL;
	*ctl_first = n;
	*nctl = sup_ctl_pollfds(s->ctl, pfd + n, max - n);
	for (size_t k = 0; k < *nctl; k++)
		ws[n++] = NULL;
	return n;
}

/*
 * Start-up of the loop: s from the conf and what main.c opened, the signal
 * fd, the watchdog, maint.c, alerts.c and the control socket; the slots
 * synced (run_at_start and -o queue theirs); READY=1 to systemd.
 */
static void
sup_start(struct sup *s, const char *conf_path, struct conf *conf,
    struct sup_boot *boot, int once)
{
	const char	*env;

	memset(s, 0, sizeof(*s));
	s->conf_path = conf_path;
	s->boot = boot;
	s->once = once;
	s->cur = xcalloc(1, sizeof(*s->cur));
	s->cur->conf = conf;
	s->cur->refs = 1;
	s->retry_base_ms = SUP_RETRY_BASE_MS;
	if ((env = getenv("CAIRN_RETRY_BASE_MS")) != NULL && atoi(env) > 0)
		s->retry_base_ms = atoi(env);
	if ((s->sigfd = sup_signals_open()) == -1)
		fatal("signalfd");
	if (notify_watchdog_usec() > 0) {
		/* WATCHDOG=1 at half the interval systemd expects */
		s->watchdog_ms = (int64_t)(notify_watchdog_usec() / 2000);
		if (s->watchdog_ms < 1)
			s->watchdog_ms = 1;
		s->watchdog_next = now_ms() + s->watchdog_ms;
	}
	s->maint = maint_new(s, boot, once);
	s->alerts = alerts_new(s, boot);
	sup_slots_sync(s, time(NULL), 1);
	alerts_daemon(s->alerts, 1, once ? "one cycle (-o)" : "running");
	s->ctl = sup_ctl_attach(boot->ctl, s);
	boot->ctl = NULL;
	sup_ctl_metrics(s->ctl);
	sup_notify("READY=1");
	sup_status(s);
}

/* The loop is over: logged, audited and announced; everything freed. */
static int
sup_finish(struct sup *s)
{
	int	 rc;

	rc = CAIRN_E_OK;
	if (s->once && (s->stopping || s->failed_runs > 0 ||
	    maint_failures(s->maint) > 0))
		rc = CAIRN_E_FAIL;
	log_info("stopped (%s); at most %d worker%s ran at once",
	    s->once ? (rc == 0 ? "all jobs succeeded" : "some jobs failed") :
	    "signal", s->max_seen, s->max_seen == 1 ? "" : "s");
	sup_audit(s, "stop", AF_STR("reason", s->stopping ? "signal" :
	    "cycle done"), AF_INT("code", rc),
	    AF_UINT("max_workers_seen", (uint64_t)s->max_seen));
	alerts_daemon(s->alerts, 0, s->stopping ? "signal" : rc == 0 ?
	    "cycle done" : "cycle done, some jobs failed");
	alerts_drain(s->alerts);
	sup_ctl_free(s->ctl);
	for (size_t i = 0; i < s->nslots; i++) {
		free(s->slots[i]->name);
		free(s->slots[i]);
	}
	free(s->slots);
	maint_free(s->maint);
	alerts_free(s->alerts);
	conf_ref_drop(s->cur);
	close(s->sigfd);
	return rc;
}

int
sup_run(const char *conf_path, struct conf *conf, struct sup_boot *boot,
    int once)
{
	struct sup	 sup, *s = &sup;
	struct pollfd	*pfd;
	struct worker	**ws;
	size_t		 cap, ctl_first, nctl, nal;
	nfds_t		 n;
	int		 chld, hup, term, wait, cw;

	sup_start(s, conf_path, conf, boot, once);
	cap = 0;
	pfd = NULL;
	ws = NULL;
	for (;;) {
		if (cap < s->nslots + 3 + CTL_MAX_CONN + 1) {
			cap = s->nslots + 9 + CTL_MAX_CONN + 1;
			pfd = xreallocarray(pfd, cap, sizeof(*pfd));
			ws = xreallocarray(ws, cap, sizeof(*ws));
		}
		n = sup_pollfds(s, pfd, ws, cap, &ctl_first, &nctl, &nal);
		wait = sup_next_wait(s);
		if ((cw = sup_ctl_wait_ms(s->ctl)) != -1 && cw < wait)
			wait = cw;
		if (poll(pfd, n, wait) == -1 && errno != EINTR)
			fatal("poll");

		chld = hup = term = 0;
		if (pfd[0].revents & POLLIN)
			sup_signals_read(s, &chld, &hup, &term);
		for (nfds_t i = 1; i < n; i++) {
			if (ws[i] == NULL || ws[i]->chan == NULL)
				continue;
			if (pfd[i].revents & POLLOUT)
				(void)chan_flush(ws[i]->chan);
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				sup_worker_input(s, ws[i]);
		}
		alerts_dispatch(s->alerts, pfd + ctl_first - nal, nal);
		/* cairnctl: may queue runs (started below) or reload */
		sup_ctl_dispatch(s->ctl, pfd + ctl_first, nctl);
		if (term)
			sup_stop_begin(s, term);
		if (chld)
			sup_reap(s);
		if (hup && !s->stopping) {
			sup_audit_reopen(s);
			(void)sup_reload(s, NULL, 0);
		}
		if (s->stopping)
			sup_stop_check(s);
		sup_timers(s);
		sup_ctl_sweep(s->ctl);
		if (s->watchdog_ms > 0 && now_ms() >= s->watchdog_next) {
			sup_notify("WATCHDOG=1");
			s->watchdog_next = now_ms() + s->watchdog_ms;
		}
		if (s->stopping && s->nrunning == 0)
			break;
		if (s->once && s->nrunning == 0 && sup_once_done(s))
			break;
	}

	free(pfd);
	free(ws);
	return sup_finish(s);
}
