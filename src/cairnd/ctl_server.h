/*
 * ctlsrv -- cairnd's side of the control socket: a module the supervisor
 * plugs into its one poll() loop.  docs/control.md has the protocol, the
 * permissions and the commands.
 *
 * Contract
 *   - ctl_listen() creates the socket: it refuses (EADDRINUSE) if another
 *     cairnd answers on the path, removes a stale socket file otherwise,
 *     binds with its mode (umask) and group (egid, as root), checked.  The listening and
 *     every accepted descriptor are non-blocking and close-on-exec.
 *   - The server never blocks.  The loop calls ctl_pollfds() to add its
 *     descriptors, poll(), then ctl_dispatch() with the same entries, and
 *     uses ctl_next_timeout() in its poll timeout.
 *   - A peer is checked with SO_PEERCRED before a byte is read: root, the
 *     daemon's own uid, a peer whose gid or one of whose groups
 *     (SO_PEERGROUPS) is the socket group.  Others get "permission denied"
 *     and are audited.  One request per connection; a request over
 *     CTL_REQ_MAX, of another version or malformed gets an error reply and
 *     the connection is closed; a peer that does not finish its request
 *     (or read its reply) within the I/O timeout is dropped.
 *   - Every command is audited ("ctl" event: uid, pid, command, args,
 *     code) on the audit trail given, which is borrowed (may be NULL).
 *   - Commands run through struct ctl_ops, implemented by the supervisor;
 *     the ops fill plain structs and this module formats the replies.  An
 *     op must not block; one that starts work returns a ticket, and the
 *     supervisor calls ctl_ticket_done() once when that work is over
 *     (run --wait, verify --wait, prune --wait answer then).
 *   - struct ctl_srv owns the listening socket and connections;
 *     ctl_close() closes them and removes the socket file.
 */
#ifndef CAIRN_CTLSRV_H
#define CAIRN_CTLSRV_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairn/ctlproto.h"

/*
 * Connections: at most CTL_MAX_ACTIVE being read or answered, and besides
 * them at most CTL_MAX_WAIT waiting for a ticket (--wait), so that waiting
 * clients never keep status or health out.  CTL_MAX_CONN is both.
 */
#define CTL_MAX_ACTIVE		32
#define CTL_MAX_WAIT		128
#define CTL_MAX_CONN		(CTL_MAX_ACTIVE + CTL_MAX_WAIT)
#define CTL_IO_TIMEOUT_MS	5000

struct audit;

struct ctl_prune_item {
	char		 path[512];	/* "JOB/NAME"; remote: the key */
	char		 reason[128];	/* why it goes */
	char		 remote[128];	/* "": a local file; else the s3 section */
};

struct ctl_prune_plan {
	struct ctl_prune_item *items;	/* malloc'd; ctl frees */
	size_t		 n;
	size_t		 kept;		/* artifacts kept */
	size_t		 remote_kept;	/* remote copies kept */
};

/*
 * Every op returns a CAIRN_E_* code; on failure a one-line cause in err.
 * A ticket is any non-zero number the supervisor chooses.  An op that
 * had nothing to start returns CAIRN_E_OK, no ticket and what it found in
 * err (the reply at once, --wait or not).
 */
struct ctl_ops {
	/* fill st (st->jobs xcalloc'd: ctl frees); ctl runs assess */
	int	(*status)(void *arg, struct ctl_status *st);
	/* job: a job name or "all"; ENOENT-like errors: CAIRN_E_USAGE */
	int	(*run)(void *arg, const char *job, uint64_t *ticket,
		    char *err, size_t errlen);
	/* artifact "JOB/NAME", or NULL for every artifact */
	int	(*verify)(void *arg, const char *artifact, uint64_t *ticket,
		    char *err, size_t errlen);
	/* dry_run: fill plan, no ticket; else start pruning, ticket set */
	int	(*prune)(void *arg, int dry_run, struct ctl_prune_plan *plan,
		    uint64_t *ticket, char *err, size_t errlen);
	/* the result of the reload, in err whatever the outcome */
	int	(*reload)(void *arg, char *err, size_t errlen);
	/* a test alert to notifier name (NULL: the first); a ticket */
	int	(*notify_test)(void *arg, const char *name, uint64_t *ticket,
		    char *err, size_t errlen);
};

struct ctl_srv;

/*
 * Creates the server on path (mode, e.g. 0660; gid the socket group, or
 * (gid_t)-1 to keep the file's group).  Borrows ops, arg and audit (they
 * must outlive the server).  Returns new, or NULL with errno and err.
 */
struct ctl_srv	*ctl_listen(const char *path, mode_t mode, gid_t gid,
		    const struct ctl_ops *ops, void *arg, struct audit *audit,
		    char *err, size_t errlen);
/*
 * The same for the name in the open folder dirfd (path names it in
 * messages and is what ctl_close() unlinks): bind and probe go through
 * /proc/self/fd/N, so root never resolves a folder path the daemon's user
 * could swap.  The socket is made with its mode and group (the umask, the
 * egid) and checked after, never chmod'ed or chown'ed by path.
 */
struct ctl_srv	*ctl_listen_at(int dirfd, const char *name, const char *path,
		    mode_t mode, gid_t gid, const struct ctl_ops *ops,
		    void *arg, struct audit *audit, char *err, size_t errlen);
void		 ctl_close(struct ctl_srv *);
/* The group allowed besides root and the daemon (default: the gid given). */
void		 ctl_set_group(struct ctl_srv *, gid_t);
/* The daemon's uid allowed (default: geteuid() at ctl_listen()). */
void		 ctl_set_uid(struct ctl_srv *, uid_t);
/* Per-step I/O timeout (default CTL_IO_TIMEOUT_MS). */
void		 ctl_set_timeout(struct ctl_srv *, int ms);

/* Adds up to max entries; returns how many. */
size_t		 ctl_pollfds(struct ctl_srv *, struct pollfd *, size_t max);
/* Handles the entries ctl_pollfds() gave (revents filled by poll()) and
 * the timeouts due at now_ms (util_now_ms()). */
void		 ctl_dispatch(struct ctl_srv *, const struct pollfd *,
		    size_t n, int64_t now_ms);
/* Milliseconds until the next timeout (0: due), or -1 for none. */
int		 ctl_next_timeout(const struct ctl_srv *, int64_t now_ms);

/* Work behind ticket is over: answers the clients waiting on it. */
void		 ctl_ticket_done(struct ctl_srv *, uint64_t ticket, int code,
		    const char *msg);
/* Connections open (tests, shutdown). */
size_t		 ctl_nconn(const struct ctl_srv *);

/* Adopt an already connected socket as a client (tests: socketpairs). */
int		 ctl_adopt(struct ctl_srv *, int fd, int64_t now_ms);

#endif /* CAIRN_CTLSRV_H */
