/* log.c -- see log.h */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"

int		 fatal_code = CAIRN_E_SOFTWARE;

static const char *log_progname = "cairn";
static int	 log_verbose;
static int	 log_fd = -1;
static void	(*log_sink)(enum log_level, const char *, void *);
static void	*log_sink_arg;
static int	 log_journal;	/* stderr is journald's stream */

/* JOURNAL_STREAM is "DEV:INO" of the stream systemd gave as stderr. */
static int
stderr_is_journal(void)
{
	const char		*js = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int verbose)
{
	log_progname = progname;
	log_verbose = verbose;
	log_journal = stderr_is_journal();
}

/* sd-daemon(3)'s prefix: the syslog priority of the level */
static int
level_prio(enum log_level level)
{
	switch (level) {
	case LOG_LVL_DEBUG:	return 7;
	case LOG_LVL_WARN:	return 4;
	case LOG_LVL_ERR:	return 3;
	default:		return 6;
	}
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_open_file(const char *path)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	log_set_file_fd(fd);
	return 0;
}

void
log_set_file_fd(int fd)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
}

int
log_file_fd(void)
{
	return log_fd;
}

void
log_set_sink(void (*sink)(enum log_level, const char *, void *), void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}

static const char *
level_tag(enum log_level level)
{
	switch (level) {
	case LOG_LVL_DEBUG:	return "debug: ";
	case LOG_LVL_WARN:	return "warning: ";
	case LOG_LVL_ERR:	return "error: ";
	default:		return "";
	}
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char	 raw[2048], msg[2048], line[2300], stamp[32];
	int	 saved_errno = errno, n;

	if (level == LOG_LVL_DEBUG && !log_verbose)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* one event, one line: nothing in it may start another or steer
	 * a terminal */
	util_vis(msg, sizeof(msg), raw);
	if (log_sink != NULL) {
		log_sink(level, msg, log_sink_arg);
		errno = saved_errno;
		return;
	}
	if (log_journal) {
		n = snprintf(line, sizeof(line), "<%d>%s%s\n",
		    level_prio(level), level_tag(level), msg);
		if (n > 0)
			(void)!write(STDERR_FILENO, line,
			    (size_t)n >= sizeof(line) ? sizeof(line) - 1 :
			    (size_t)n);
		if (log_fd == -1) {
			errno = saved_errno;
			return;
		}
	}
	util_utc_stamp(stamp, sizeof(stamp), time(NULL));
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s\n", stamp,
	    log_progname, (long)getpid(), level_tag(level), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (!log_journal)
		(void)!write(STDERR_FILENO, line, n);
	if (log_fd != -1)
		(void)!write(log_fd, line, n);
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_INFO, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

/* Appends ": strerror(errno)" to the formatted message. */
static void
vlog_errno(enum log_level level, const char *fmt, va_list ap)
{
	char	 msg[2048];
	int	 saved_errno = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_msg(level, "%s: %s", msg, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(fatal_code);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(fatal_code);
}

const char *
cairn_strerror(int code)
{
	switch (code) {
#define X(name, num, text)	case num: return text;
	CAIRN_ERRORS
#undef X
	default:
		return "unknown error";
	}
}
