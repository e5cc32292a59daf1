/*
 * priv -- resolve the configured user and drop root for good.
 *
 * Contract
 *   - priv_resolve() turns a user (and optional group) name into ids and a
 *     home directory; a name made only of digits is taken as a number when
 *     no such name exists.
 *   - priv_drop() is the one place cairnd gives up root.  In order:
 *     setgroups(1, &gid), setresgid(gid x3), every capability dropped from
 *     the bounding set (PR_CAPBSET_DROP, while CAP_SETPCAP is still held),
 *     setresuid(uid x3), PR_SET_NO_NEW_PRIVS; then it proves the drop:
 *     setuid(0), seteuid(0), setresuid(0, 0, 0), setgid(0) and setegid(0)
 *     must all fail, getresuid()/getresgid() must all equal the target,
 *     getgroups() must be exactly { gid }, /proc/self/status must show
 *     CapPrm, CapEff, CapAmb and CapBnd all zero and no_new_privs must be
 *     on.  Nothing the supervisor does after (reload, spawning sandboxed
 *     workers, which set no_new_privs themselves) needs either.
 *   - Supplementary groups: the process keeps only its primary group.  A
 *     backup daemon has no business inheriting root's or the user's other
 *     groups.  The control socket's `socket_group` is given by binding
 *     it with that egid while still root (ctl_listen_at()), so cairnd
 *     never needs to be a member of that group.
 *   - Returns 0 when privileges were dropped and verified, 1 when the
 *     process was not root to begin with (nothing done; err says so, for
 *     the log), -1 with a message in err (and errno set) when the drop
 *     failed or could not be proved: the caller must then refuse to run.
 *   - Never exits, never logs; err is always NUL-terminated.
 */
#ifndef CAIRN_PRIV_H
#define CAIRN_PRIV_H

#include <stddef.h>
#include <sys/types.h>

struct priv_id {
	uid_t		 uid;
	gid_t		 gid;
	char		 home[256];	/* "" when the entry has none */
};

/* group NULL or "": the user's primary group.  0, or -1 with err set. */
int	priv_resolve(const char *user, const char *group, struct priv_id *,
	    char *err, size_t errlen);
/* See the contract: 0 dropped, 1 not root (no-op), -1 failure. */
int	priv_drop(uid_t, gid_t, char *err, size_t errlen);
/*
 * The checks priv_drop() runs after dropping, usable on their own (tests,
 * a worker checking what it inherited): 0 when the process runs as
 * uid/gid only, cannot become root again and holds no capability.
 */
int	priv_check(uid_t, gid_t, char *err, size_t errlen);

#endif /* CAIRN_PRIV_H */
