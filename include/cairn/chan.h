/*
 * chan -- a framed, buffered channel over one unix stream socket
 * (cairnd <-> a worker), with descriptor passing.
 *
 * Contract
 *   - chan_new() takes the socket: the chan owns it and chan_free() closes
 *     it, along with received descriptors nobody took and queued ones not
 *     yet sent.
 *   - The supervisor's side is non-blocking and never blocks: chan_queue()
 *     appends a frame, chan_flush() writes what the socket takes,
 *     chan_read() reads what is there, chan_get() hands out whole frames.
 *     The worker's side uses chan_send() / chan_recv(), which wait.
 *   - Every received frame is checked by frame.h before its payload is
 *     buffered: the read buffer grows only for a frame already admitted, so
 *     a hostile length costs nothing.  A violation is sticky: chan_get()
 *     keeps failing with the first errno (EPROTO, EMSGSIZE, EBADMSG,
 *     EPROTONOSUPPORT), and chan_error() says what happened.
 *   - Descriptors: chan_queue() consumes the fd it is given (closed once
 *     sent, or by chan_free()); a received one is owned by the chan until
 *     chan_take_fd() returns it (caller owns).  A chan made with
 *     accept_fds = 0 treats any received descriptor as a violation.
 *   - Bytes sent are wiped from the send buffer (a JOB frame carries a
 *     password), and so is the buffer when it grows or is freed.
 *   - Errors: -1 with errno set.
 */
#ifndef CAIRN_CHAN_H
#define CAIRN_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairn/frame.h"

#define CHAN_MAX_FDS	4

struct chan;

/* rx: the direction of the frames this end receives.  Returns new. */
struct chan	*chan_new(int fd, enum frame_dir rx, int accept_fds);
void		 chan_free(struct chan *);
int		 chan_fd(const struct chan *);

/* Appends one frame (fd: -1 or consumed).  -1 EMSGSIZE if too large. */
int		 chan_queue(struct chan *, enum frame_type, uint32_t gen,
		    const void *payload, size_t len, int fd);
/* 0 all written, 1 more to write (poll for POLLOUT), -1 error. */
int		 chan_flush(struct chan *);
int		 chan_want_write(const struct chan *);
/* Reads once: bytes read, 0 at end of file, -1 (EAGAIN: nothing there). */
ssize_t		 chan_read(struct chan *);
/*
 * The next whole frame: 1 and *hdr, *payload (valid until the next call
 * on the chan), 0 if none is complete yet, -1 on a protocol violation.
 */
int		 chan_get(struct chan *, struct frame_hdr *,
		    const unsigned char **payload);
int		 chan_take_fd(struct chan *);
/* Bytes received but not yet handed out (non-zero at EOF: truncated). */
size_t		 chan_pending_in(const struct chan *);
const char	*chan_error(const struct chan *);

/* Blocking: queue and write everything, waiting as needed. */
int		 chan_send(struct chan *, enum frame_type, uint32_t gen,
		    const void *payload, size_t len, int fd);
/* Blocking: the next frame within timeout_ms (-1: forever); -1 and
 * ETIMEDOUT, ECONNRESET at end of file, or a protocol errno. */
int		 chan_recv(struct chan *, struct frame_hdr *,
		    const unsigned char **payload, int timeout_ms);

#endif /* CAIRN_CHAN_H */
