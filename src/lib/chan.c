/* chan.c -- see chan.h */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/chan.h"
#include "cairn/util.h"

#define CHAN_IN_MIN	4096

struct out_fd {
	size_t		 at;		/* offset of the frame it rides on */
	int		 fd;
};

struct chan {
	int		 fd;
	int		 accept_fds;
	struct frame_seq seq;
	uint32_t	 tx_seq;

	unsigned char	*in;
	size_t		 in_cap, in_len, in_off;
	int		 in_fds[CHAN_MAX_FDS];
	int		 n_in_fds;

	unsigned char	*out;
	size_t		 out_cap, out_len, out_off;
	struct out_fd	 out_fds[CHAN_MAX_FDS];
	int		 n_out_fds;

	int		 admitted;	/* the buffered header passed */
	int		 err;		/* sticky protocol errno */
	char		 errmsg[160];
};

struct chan *
chan_new(int fd, enum frame_dir rx, int accept_fds)
{
	struct chan	*c;

	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->accept_fds = accept_fds;
	frame_seq_init(&c->seq, rx);
	c->in_cap = CHAN_IN_MIN;
	c->in = xmalloc(c->in_cap);
	return c;
}

void
chan_free(struct chan *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->n_in_fds; i++)
		close(c->in_fds[i]);
	for (int i = 0; i < c->n_out_fds; i++)
		close(c->out_fds[i].fd);
	if (c->fd != -1)
		close(c->fd);
	free(c->in);
	if (c->out != NULL)
		explicit_bzero(c->out, c->out_cap);
	free(c->out);
	free(c);
}

int
chan_fd(const struct chan *c)
{
	return c->fd;
}

const char *
chan_error(const struct chan *c)
{
	return c->err != 0 ? c->errmsg : "no error";
}

size_t
chan_pending_in(const struct chan *c)
{
	return c->in_len - c->in_off;
}

static int
chan_fail(struct chan *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
chan_fail(struct chan *c, int err, const char *fmt, ...)
{
	va_list	 ap;

	if (c->err == 0) {
		c->err = err;
		va_start(ap, fmt);
		vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
		va_end(ap);
	}
	errno = c->err;
	return -1;
}

/* -- sending ----------------------------------------------------------- */

int
chan_queue(struct chan *c, enum frame_type type, uint32_t gen,
    const void *payload, size_t len, int fd)
{
	struct frame_hdr	 h;
	size_t			 need;

	if (len > FRAME_MAX_PAYLOAD || (fd != -1 &&
	    c->n_out_fds == CHAN_MAX_FDS)) {
		if (fd != -1)
			close(fd);
		errno = EMSGSIZE;
		return -1;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + FRAME_HDR_LEN + len;
	if (need > c->out_cap) {
		unsigned char	*grown;
		size_t		 cap;

		/* not realloc: the old buffer may hold a secret to wipe */
		cap = need < 2 * c->out_cap ? 2 * c->out_cap : need;
		grown = xmalloc(cap);
		if (c->out_len > 0)
			memcpy(grown, c->out, c->out_len);
		if (c->out != NULL)
			explicit_bzero(c->out, c->out_cap);
		free(c->out);
		c->out = grown;
		c->out_cap = cap;
	}
	h.version = CAIRN_PROTO_VERSION;
	h.type = type;
	h.flags = fd != -1 ? FRAME_F_FD : 0;
	h.len = (uint32_t)len;
	h.gen = gen;
	h.seq = ++c->tx_seq;
	if (fd != -1) {
		c->out_fds[c->n_out_fds].at = c->out_len;
		c->out_fds[c->n_out_fds].fd = fd;
		c->n_out_fds++;
	}
	frame_hdr_pack(c->out + c->out_len, &h);
	if (len > 0)
		memcpy(c->out + c->out_len + FRAME_HDR_LEN, payload, len);
	c->out_len += FRAME_HDR_LEN + len;
	return 0;
}

int
chan_want_write(const struct chan *c)
{
	return c->out_off < c->out_len;
}

int
chan_flush(struct chan *c)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct cmsghdr	*cmsg;
	size_t		 end;
	ssize_t		 n;
	int		 with_fd;

	while (c->out_off < c->out_len) {
		with_fd = c->n_out_fds > 0 && c->out_fds[0].at == c->out_off;
		/* a descriptor rides on the first byte of its own frame */
		end = c->out_len;
		for (int i = 0; i < c->n_out_fds; i++)
			if (c->out_fds[i].at > c->out_off &&
			    c->out_fds[i].at < end)
				end = c->out_fds[i].at;
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = c->out + c->out_off;
		iov.iov_len = end - c->out_off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (with_fd) {
			memset(&cm, 0, sizeof(cm));
			msg.msg_control = cm.buf;
			msg.msg_controllen = sizeof(cm.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &c->out_fds[0].fd, sizeof(int));
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		if (with_fd) {
			close(c->out_fds[0].fd);
			c->n_out_fds--;
			memmove(c->out_fds, c->out_fds + 1,
			    c->n_out_fds * sizeof(c->out_fds[0]));
		}
		c->out_off += (size_t)n;
	}
	/* what was sent may have held a secret (a JOB's password) */
	explicit_bzero(c->out, c->out_len);
	c->out_off = c->out_len = 0;
	return 0;
}

int
chan_send(struct chan *c, enum frame_type type, uint32_t gen,
    const void *payload, size_t len, int fd)
{
	struct pollfd	 pfd;
	int		 r;

	if (chan_queue(c, type, gen, payload, len, fd) == -1)
		return -1;
	while ((r = chan_flush(c)) == 1) {
		pfd.fd = c->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return r;
}

/* -- receiving --------------------------------------------------------- */

ssize_t
chan_read(struct chan *c)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * CHAN_MAX_FDS)];
	}		 cm;
	struct cmsghdr	*cmsg;
	ssize_t		 n;
	int		 fds[CHAN_MAX_FDS], nfd;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len == c->in_cap) {
		errno = ENOBUFS;	/* chan_get() was not drained */
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = c->in + c->in_len;
	iov.iov_len = c->in_cap - c->in_len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cmsg), nfd * sizeof(int));
		for (int i = 0; i < nfd; i++) {
			if (!c->accept_fds || c->n_in_fds == CHAN_MAX_FDS) {
				close(fds[i]);
				chan_fail(c, EPROTO, "unexpected descriptor");
				continue;
			}
			c->in_fds[c->n_in_fds++] = fds[i];
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		chan_fail(c, EPROTO, "too many descriptors");
	c->in_len += (size_t)n;
	return n;
}

int
chan_get(struct chan *c, struct frame_hdr *h, const unsigned char **payload)
{
	const unsigned char	*p;
	size_t			 need;

	if (c->err != 0) {
		errno = c->err;
		return -1;
	}
	if (c->in_len - c->in_off < FRAME_HDR_LEN)
		return 0;
	p = c->in + c->in_off;
	/* the header is checked again each call: it is cheap and stateless */
	if (frame_hdr_unpack(h, p) == -1) {
		int	 e = errno;

		return chan_fail(c, e, "bad frame header: %s (version %u, "
		    "type %u, %u bytes)", strerror(e), h->version, h->type,
		    h->len);
	}
	if (!c->admitted) {
		if (frame_seq_admit(&c->seq, h) == -1)
			return chan_fail(c, EPROTO,
			    "frame %s (%u bytes, #%u) not allowed here",
			    frame_type_name(h->type), h->len, h->seq);
		c->admitted = 1;
	}
	need = FRAME_HDR_LEN + (size_t)h->len;
	if (need > c->in_cap) {
		/* only an admitted frame makes the buffer grow */
		if (c->in_off > 0) {
			memmove(c->in, c->in + c->in_off,
			    c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		c->in = xreallocarray(c->in, need, 1);
		c->in_cap = need;
		p = c->in;
	}
	if (c->in_len - c->in_off < need)
		return 0;
	if (frame_seq_payload(&c->seq, h, p + FRAME_HDR_LEN) == -1)
		return chan_fail(c, EPROTO, "frame %s: wrong table count",
		    frame_type_name(h->type));
	if ((h->flags & FRAME_F_FD) && c->n_in_fds == 0)
		return chan_fail(c, EPROTO, "frame %s: descriptor missing",
		    frame_type_name(h->type));
	*payload = p + FRAME_HDR_LEN;
	c->in_off += need;
	c->admitted = 0;
	return 1;
}

int
chan_take_fd(struct chan *c)
{
	int	 fd;

	if (c->n_in_fds == 0)
		return -1;
	fd = c->in_fds[0];
	c->n_in_fds--;
	memmove(c->in_fds, c->in_fds + 1, c->n_in_fds * sizeof(int));
	return fd;
}

int
chan_recv(struct chan *c, struct frame_hdr *h, const unsigned char **payload,
    int timeout_ms)
{
	struct pollfd	 pfd;
	int64_t		 deadline = util_now_ms() + timeout_ms;
	int		 r, wait;
	ssize_t		 n;

	for (;;) {
		if ((r = chan_get(c, h, payload)) != 0)
			return r == 1 ? 0 : -1;
		wait = -1;
		if (timeout_ms >= 0) {
			int64_t left = deadline - util_now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			wait = (int)left;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		n = chan_read(c);
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
}
