/*
 * util -- small helpers every module shares: checked allocation, time
 * stamps, whole-buffer I/O, hex.
 *
 * Contract
 *   - x*alloc()/xstrdup() never return NULL: out of memory is fatal.
 *   - util_read_all()/util_write_all() retry on EINTR and short transfers;
 *     -1 with errno set on error.
 *   - Never exits except for out of memory in x*alloc().
 */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* "2026-11-24T06:00:01Z" */
void	 util_utc_stamp(char *, size_t, time_t);
/* "20261124_060001", the artifact file name stamp (UTC) */
void	 util_file_stamp(char *, size_t, time_t);
/* Monotonic milliseconds, for deadlines. */
int64_t	 util_now_ms(void);

ssize_t	 util_write_all(int, const void *, size_t);
/* Reads until len bytes or EOF; returns the count read. */
ssize_t	 util_read_all(int, void *, size_t);
/* Lowercase hex of len bytes into out (2 * len + 1 bytes). */
void	 util_hex(char *out, const unsigned char *, size_t len);

/*
 * Copies src into dst (dstlen > 0) with every control character and DEL
 * written visibly: \n \r \t, others as \xNN; other bytes as they are.
 * Text that reaches a log line or a terminal goes through it, so a hostile
 * name or message can neither start a forged line nor send an escape
 * sequence.  Cut at dstlen - 1 bytes, never inside an escape; returns the
 * length written.
 */
size_t	 util_vis(char *dst, size_t dstlen, const char *src);

/*
 * The error return of a function that fills a message buffer: formats
 * into err (nothing when errlen is 0), appends ": strerror(errnum)" when
 * errnum is not 0, sets errno to errnum (EPERM when 0) and returns -1.
 *   return util_fail(err, errlen, errno, "priv: setresuid %u", uid);
 */
int	 util_fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * The value of the "name:" line of /proc/self/status (CapEff, Threads…),
 * leading blanks and the newline removed, into buf.  0, or -1 with errno
 * set (ENOENT: no such line).
 */
int	 util_proc_status(const char *name, char *buf, size_t len);

#endif /* CAIRN_UTIL_H */
