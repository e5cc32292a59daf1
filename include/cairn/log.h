/*
 * log -- human-readable log lines for cairnd, its workers and cairnctl.
 *
 * Contract
 *   - Lines look like "2026-11-24T06:00:01Z cairnd[123]: message" and go to
 *     stderr (journald, docker logs) and, once log_open_file() succeeded, to
 *     the log file too.  Each line is one write(2) on an O_APPEND fd.
 *   - When stderr is the journal's stream (JOURNAL_STREAM names its device
 *     and inode, as systemd sets it), stderr lines are "<N>message" instead:
 *     N the syslog priority (7 debug, 6 info, 4 warning, 3 error), which
 *     journald stores as PRIORITY; it adds the time and pid itself.
 *   - A sink set with log_set_sink() replaces both (workers forward their
 *     lines to the supervisor over their channel).
 *   - Messages are lowercase, without a final period: context first, the
 *     reason last.  log_warn()/fatal() append ": strerror(errno)".
 *   - fatal()/fatalx() exit with CAIRN_E_SOFTWARE unless fatal_code is set;
 *     only main() and event-loop dispatchers call them.
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERR,
};

/* Borrows progname (must outlive the log). */
void	log_init(const char *progname, int verbose);
/* Opens path O_APPEND|O_CREAT (mode 0640).  Returns -1, errno set. */
int	log_open_file(const char *path);
/* Consumes fd: use an already open file (e.g. opened before a privilege drop). */
void	log_set_file_fd(int fd);
int	log_file_fd(void);
void	log_set_sink(void (*sink)(enum log_level, const char *msg, void *),
	    void *arg);
void	log_set_verbose(int);

void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(enum log_level, const char *, va_list);
void	fatal(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

extern int	fatal_code;

#endif /* CAIRN_LOG_H */
