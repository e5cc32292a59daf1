/*
 * notify -- tell systemd (or any NOTIFY_SOCKET listener) how cairnd is
 * doing, without libsystemd.
 *
 * The protocol (sd_notify(3)): one datagram of newline-separated
 * VAR=value assignments to the AF_UNIX socket named by $NOTIFY_SOCKET, a
 * path or, with a leading '@', an abstract-namespace name.
 *
 * Contract
 *   - Every call is a no-op returning 0 when NOTIFY_SOCKET is unset or
 *     empty; 1 when the datagram was sent; -1 with errno on error
 *     (EAFNOSUPPORT for a socket kind other than a path or '@', e.g.
 *     vsock; ENAMETOOLONG for a path too long).  Never blocks for long
 *     (non-blocking send: EAGAIN if the manager's queue is full).
 *   - Nothing is kept open between calls; the environment is read on
 *     each call and never changed.
 *   - notify_status() replaces newlines so the text cannot smuggle in
 *     another assignment.
 */
#ifndef CAIRN_NOTIFY_H
#define CAIRN_NOTIFY_H

#include <stdint.h>

/* Sends state as is ("READY=1\nSTATUS=..."); borrows it. */
int		 notify_send(const char *state);
int		 notify_ready(void);			/* READY=1 */
int		 notify_stopping(void);			/* STOPPING=1 */
int		 notify_watchdog(void);			/* WATCHDOG=1 */
/* RELOADING=1 with MONOTONIC_USEC (Type=notify-reload); READY=1 ends it. */
int		 notify_reloading(void);
/* STATUS=text, at most 512 bytes of it, newlines made spaces. */
int		 notify_status(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* EXTEND_TIMEOUT_USEC: more time for a slow start-up or shutdown step. */
int		 notify_extend_timeout(uint64_t usec);

/*
 * The watchdog interval in microseconds from WATCHDOG_USEC, or 0 if the
 * watchdog is off, the value is bad, or WATCHDOG_PID names another
 * process.  Send WATCHDOG=1 at about half this interval.
 */
uint64_t	 notify_watchdog_usec(void);

#endif /* CAIRN_NOTIFY_H */
