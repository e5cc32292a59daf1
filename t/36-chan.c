/* t/36-chan.c -- chan alone: framing over a socketpair under partial reads
 * and writes, EAGAIN, oversized and garbage frames, descriptor passing */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/chan.h"
#include "cairn/frame.h"
#include "tap.h"

static void
pair(int sp[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1 ||
	    fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sp[1], F_SETFL, O_NONBLOCK) == -1)
		bail("socketpair: %s", strerror(errno));
}

static size_t
hello(unsigned char *buf, uint32_t gen)
{
	struct msg_hello h = { CAIRN_PROTO_VERSION, (uint32_t)getpid(), gen };

	return (size_t)frame_encode_hello(buf, 16, &h);
}

/* A worker's HELLO and LOG, fed to the supervisor's end a byte at a time. */
static void
test_byte_by_byte(void)
{
	struct chan		*w, *s;
	struct frame_hdr	 h;
	const unsigned char	*p;
	unsigned char		 hb[16], wire[256];
	const char		 log[] = "\x02\x00" "some text";
	int			 a[2], b[2], got = 0, early = 0, rc;
	size_t			 n, i;
	ssize_t			 r;

	pair(a);
	pair(b);
	w = chan_new(a[0], FRAME_TO_WORKER, 1);
	n = hello(hb, 5);
	ok(chan_queue(w, MSG_HELLO, 5, hb, n, -1) == 0 &&
	    chan_queue(w, MSG_LOG, 5, log, sizeof(log), -1) == 0 &&
	    chan_flush(w) == 0, "a worker end queues and flushes two frames");
	r = read(a[1], wire, sizeof(wire));
	is_int(r, 2 * FRAME_HDR_LEN + (ssize_t)n + (ssize_t)sizeof(log),
	    "the wire holds two headers and two payloads");

	s = chan_new(b[1], FRAME_TO_SUP, 0);
	errno = 0;
	ok(chan_read(s) == -1 && errno == EAGAIN,
	    "nothing there yet: chan_read fails with EAGAIN");
	is_int(chan_get(s, &h, &p), 0, "and chan_get has no frame");
	for (i = 0; r > 0 && i < (size_t)r; i++) {
		if (write(b[0], wire + i, 1) != 1)
			bail("write: %s", strerror(errno));
		if (chan_read(s) != 1)
			break;
		while ((rc = chan_get(s, &h, &p)) == 1) {
			got++;
			if (got == 1 && (h.type != MSG_HELLO || h.len != n ||
			    i + 1 != FRAME_HDR_LEN + n))
				early++;
			if (got == 2 && (h.type != MSG_LOG ||
			    h.len != sizeof(log) ||
			    memcmp(p, log, sizeof(log)) != 0 ||
			    i + 1 != (size_t)r))
				early++;
		}
		if (rc == -1)
			break;
	}
	is_int(got, 2, "both frames come out, one byte at a time");
	is_int(early, 0, "each exactly when its last byte arrived, intact");
	is_int(chan_pending_in(s), 0, "nothing left over");
	close(b[0]);
	ok(chan_read(s) == 0, "end of file reads 0");
	chan_free(w);
	chan_free(s);
	close(a[1]);
}

/* Many frames through tiny socket buffers: flush writes part, then more. */
static void
test_partial_writes(void)
{
	struct chan		*w, *s;
	struct frame_hdr	 h;
	const unsigned char	*p;
	unsigned char		 hb[16], msg[3 + 1000];
	int			 sp[2], small = 1, got = 0, bad = 0, partial = 0;
	int			 rounds = 0, rc, fr;
	const int		 nlog = 200;
	size_t			 n;

	pair(sp);
	(void)setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	(void)setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	w = chan_new(sp[0], FRAME_TO_WORKER, 1);
	s = chan_new(sp[1], FRAME_TO_SUP, 0);
	n = hello(hb, 9);
	chan_queue(w, MSG_HELLO, 9, hb, n, -1);
	msg[0] = 2;
	msg[1] = msg[2] = 0;
	for (int i = 0; i < nlog; i++) {
		memset(msg + 3, 'a' + i % 26, sizeof(msg) - 3);
		if (chan_queue(w, MSG_LOG, 9, msg, sizeof(msg), -1) == -1)
			bail("chan_queue: %s", strerror(errno));
	}
	while (got < nlog + 1 && rounds++ < 100000) {
		if ((fr = chan_flush(w)) == -1)
			break;
		partial += fr == 1;
		while (chan_read(s) > 0)
			;
		while ((rc = chan_get(s, &h, &p)) == 1) {
			if (got > 0 && (h.type != MSG_LOG ||
			    h.len != sizeof(msg) ||
			    p[3] != 'a' + (got - 1) % 26 ||
			    p[sizeof(msg) - 1] != 'a' + (got - 1) % 26))
				bad++;
			got++;
		}
		if (rc == -1)
			break;
	}
	is_int(got, nlog + 1, "all %d frames arrive", nlog + 1);
	is_int(bad, 0, "in order and intact");
	ok(partial > 0, "chan_flush wrote part and asked to be called again "
	    "(%d times)", partial);
	ok(!chan_want_write(w), "and nothing is left to write");
	chan_free(w);
	chan_free(s);
}

/* Raw headers a peer might send: refused before any payload is read. */
static int
raw_header(uint8_t version, uint8_t type, uint32_t len, int *err,
    char *why, size_t whylen)
{
	struct chan		*s;
	struct frame_hdr	 h, out;
	const unsigned char	*p;
	unsigned char		 wire[FRAME_HDR_LEN];
	int			 sp[2], rc, rc2;

	pair(sp);
	s = chan_new(sp[1], FRAME_TO_SUP, 0);
	memset(&h, 0, sizeof(h));
	h.version = version;
	h.type = type;
	h.len = len;
	h.gen = 1;
	h.seq = 1;
	frame_hdr_pack(wire, &h);
	if (write(sp[0], wire, sizeof(wire)) != (ssize_t)sizeof(wire))
		bail("write: %s", strerror(errno));
	(void)chan_read(s);
	errno = 0;
	rc = chan_get(s, &out, &p);
	*err = errno;
	rc2 = chan_get(s, &out, &p);	/* sticky */
	snprintf(why, whylen, "%s", chan_error(s) != NULL ? chan_error(s) :
	    "");
	chan_free(s);
	close(sp[0]);
	return rc == -1 && rc2 == -1 ? -1 : rc;
}

static void
test_bad_frames(void)
{
	struct chan	*w;
	char		 why[256];
	unsigned char	*big;
	int		 err, sp[2];

	is_int(raw_header(CAIRN_PROTO_VERSION, MSG_HELLO,
	    FRAME_MAX_PAYLOAD + 1, &err, why, sizeof(why)), -1,
	    "an oversized frame is refused, and stays refused");
	is_int(err, EMSGSIZE, "with EMSGSIZE (%s)", why);
	is_int(raw_header(CAIRN_PROTO_VERSION, MSG_TYPE_MAX + 3, 0, &err,
	    why, sizeof(why)), -1, "an unknown type is refused");
	is_int(err, EBADMSG, "with EBADMSG (%s)", why);
	is_int(raw_header(CAIRN_PROTO_VERSION + 1, MSG_HELLO, 12, &err, why,
	    sizeof(why)), -1, "another protocol version is refused");
	is_int(err, EPROTONOSUPPORT, "with EPROTONOSUPPORT (%s)", why);
	is_int(raw_header(CAIRN_PROTO_VERSION, MSG_JOB, 12, &err, why,
	    sizeof(why)), -1, "a frame from the wrong direction is refused");
	is_int(err, EPROTO, "with EPROTO (%s)", why);

	pair(sp);
	w = chan_new(sp[0], FRAME_TO_WORKER, 1);
	big = calloc(1, FRAME_MAX_PAYLOAD + 1);
	errno = 0;
	ok(chan_queue(w, MSG_LOG, 1, big, FRAME_MAX_PAYLOAD + 1, -1) == -1 &&
	    errno == EMSGSIZE, "queueing an oversized frame: EMSGSIZE");
	ok(!chan_want_write(w), "and nothing was queued");
	free(big);
	chan_free(w);
	close(sp[1]);
}

/* JOB carries the job folder's descriptor; a chan may refuse any. */
static void
test_fd_passing(void)
{
	struct chan		*s, *w;
	struct frame_hdr	 h;
	const unsigned char	*p;
	struct frame_job	 fj;
	unsigned char		 hb[16], *jb;
	char			 c = 0;
	int			 sp[2], pp[2], fd, rc;
	ssize_t			 jn;
	size_t			 n;

	memset(&fj, 0, sizeof(fj));
	fj.job.name = "db1";
	fj.job.kind = JOB_SQLITE;
	fj.job.path = "/srv/app.db";
	fj.dir = "/var/backups/db1";
	jb = malloc(FRAME_MAX_PAYLOAD);
	jn = frame_encode_job(jb, FRAME_MAX_PAYLOAD, &fj);
	n = hello(hb, 3);

	for (int accept = 1; accept >= 0; accept--) {
		pair(sp);
		if (pipe(pp) == -1)
			bail("pipe: %s", strerror(errno));
		s = chan_new(sp[0], FRAME_TO_SUP, 0);
		w = chan_new(sp[1], FRAME_TO_WORKER, accept);
		chan_queue(s, MSG_HELLO, 3, hb, n, -1);
		chan_queue(s, MSG_JOB, 3, jb, (size_t)jn, pp[1]);
		ok(chan_flush(s) == 0, "HELLO and JOB with a pipe's end sent");
		while (chan_read(w) > 0)
			;
		rc = chan_get(w, &h, &p);
		if (accept) {
			ok(rc == 1 && h.type == MSG_HELLO, "HELLO arrives");
			rc = chan_get(w, &h, &p);
			ok(rc == 1 && h.type == MSG_JOB &&
			    (h.flags & FRAME_F_FD), "JOB arrives, flagged");
			fd = chan_take_fd(w);
			ok(fd >= 0 && write(fd, "x", 1) == 1 &&
			    read(pp[0], &c, 1) == 1 && c == 'x',
			    "the descriptor taken writes into the pipe");
			ok(chan_take_fd(w) == -1, "and it is taken only once");
			if (fd >= 0)
				close(fd);
		} else {
			/* the descriptor may come with HELLO's bytes */
			if (rc == 1)
				rc = chan_get(w, &h, &p);
			is_int(rc, -1, "a chan refusing descriptors refuses "
			    "the frame (%s)", chan_error(w) != NULL ?
			    chan_error(w) : "");
		}
		chan_free(s);
		chan_free(w);
		close(pp[0]);
	}
	free(jb);
}

int
main(void)
{
	plan(29);
	test_byte_by_byte();
	test_partial_writes();
	test_bad_frames();
	test_fd_passing();
	return tap_exit();
}
