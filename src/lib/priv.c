/* priv.c -- see priv.h */
#include "config.h"

#include <sys/prctl.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/priv.h"
#include "cairn/util.h"

/* "1000" -> 1000; -1 when s is not a plain decimal id. */
static long long
priv_number(const char *s)
{
	char		*end;
	long long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v >= UINT32_MAX)
		return -1;
	return v;
}

int
priv_resolve(const char *user, const char *group, struct priv_id *id,
    char *err, size_t errlen)
{
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	char		 buf[4096];
	long long	 n;
	int		 rc;

	memset(id, 0, sizeof(*id));
	if (user == NULL || *user == '\0')
		return util_fail(err, errlen, EINVAL, "user: empty name");
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (pwp == NULL && (n = priv_number(user)) != -1)
		rc = getpwuid_r((uid_t)n, &pw, buf, sizeof(buf), &pwp);
	if (pwp == NULL) {
		if ((n = priv_number(user)) == -1 || group == NULL ||
		    *group == '\0')
			return util_fail(err, errlen, rc, "user %s: %s", user,
			    rc == 0 ? "no such user" : "lookup failed");
		/* a bare uid with an explicit group, as in containers */
		id->uid = (uid_t)n;
		id->gid = (gid_t)-1;
	} else {
		id->uid = pw.pw_uid;
		id->gid = pw.pw_gid;
		if (pw.pw_dir != NULL)
			snprintf(id->home, sizeof(id->home), "%s", pw.pw_dir);
	}
	if (group == NULL || *group == '\0')
		return 0;
	rc = getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
	if (grp == NULL && (n = priv_number(group)) != -1) {
		id->gid = (gid_t)n;
		return 0;
	}
	if (grp == NULL)
		return util_fail(err, errlen, rc, "group %s: %s", group,
		    rc == 0 ? "no such group" : "lookup failed");
	id->gid = gr.gr_gid;
	return 0;
}

/* Reads one "Name:\tHEX" line of /proc/self/status. */
static int
priv_status_hex(const char *name, uint64_t *v)
{
	char	 val[64];

	if (util_proc_status(name, val, sizeof(val)) == -1)
		return -1;
	*v = strtoull(val, NULL, 16);
	return 0;
}

int
priv_check(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	static const char *const caps[] = { "CapPrm", "CapEff", "CapAmb" };
	uid_t		 ru, eu, su;
	gid_t		 rg, eg, sg, groups[8];
	uint64_t	 v;
	size_t		 i;
	int		 n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return util_fail(err, errlen, errno, "priv: getresuid");
	if (ru != uid || eu != uid || su != uid)
		return util_fail(err, errlen, 0, "priv: uids are %u/%u/%u, "
		    "expected %u", ru, eu, su, uid);
	if (rg != gid || eg != gid || sg != gid)
		return util_fail(err, errlen, 0, "priv: gids are %u/%u/%u, "
		    "expected %u", rg, eg, sg, gid);
	if ((n = getgroups((int)(sizeof(groups) / sizeof(groups[0])),
	    groups)) == -1)
		return util_fail(err, errlen, errno, "priv: getgroups");
	if (n > 1 || (n == 1 && groups[0] != gid))
		return util_fail(err, errlen, 0, "priv: %d supplementary "
		    "groups left, expected only %u", n, gid);
	if (uid != 0) {
		/* each of these must fail; success means root came back */
		if (setuid(0) == 0 || seteuid(0) == 0 ||
		    setresuid(0, 0, 0) == 0 || setreuid(0, 0) == 0)
			return util_fail(err, errlen, 0,
			    "priv: uid 0 could be regained");
	}
	if (gid != 0) {
		if (setgid(0) == 0 || setegid(0) == 0 ||
		    setresgid(0, 0, 0) == 0)
			return util_fail(err, errlen, 0,
			    "priv: gid 0 could be regained");
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (priv_status_hex(caps[i], &v) == -1)
			return util_fail(err, errlen, errno,
			    "priv: /proc/self/status: %s", caps[i]);
		if (uid != 0 && v != 0)
			return util_fail(err, errlen, 0, "priv: %s is %016"
			    PRIx64 ", expected none", caps[i], v);
	}
	return 0;
}

/* Drops every capability from the bounding set (needs CAP_SETPCAP). */
static int
priv_clear_bounding(char *err, size_t errlen)
{
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)	/* past the kernel's last */
				break;
			return util_fail(err, errlen, errno,
			    "priv: dropping capability %d from the bounding "
			    "set", cap);
		}
	return 0;
}

/* After the drop: an empty bounding set and no_new_privs, as /proc says. */
static int
priv_check_sealed(char *err, size_t errlen)
{
	uint64_t	 v;

	if (priv_status_hex("CapBnd", &v) == -1)
		return util_fail(err, errlen, errno,
		    "priv: /proc/self/status: CapBnd");
	if (v != 0)
		return util_fail(err, errlen, 0, "priv: CapBnd is %016" PRIx64
		    ", expected none", v);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return util_fail(err, errlen, 0, "priv: no_new_privs is off");
	return 0;
}

int
priv_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (errlen > 0)
		*err = '\0';
	if (geteuid() != 0) {
		if (errlen > 0)
			snprintf(err, errlen, "priv: not started as root, "
			    "running as uid %u gid %u", (unsigned)geteuid(),
			    (unsigned)getegid());
		return 1;
	}
	if (uid == 0 || uid == (uid_t)-1)
		return util_fail(err, errlen, EINVAL,
		    "priv: refusing to drop to uid %d", (int)uid);
	if (gid == 0 || gid == (gid_t)-1)
		return util_fail(err, errlen, EINVAL,
		    "priv: refusing to drop to gid %d", (int)gid);
	/* groups first: they can only be changed while still root */
	if (setgroups(1, &gid) == -1)
		return util_fail(err, errlen, errno, "priv: setgroups %u", gid);
	if (setresgid(gid, gid, gid) == -1)
		return util_fail(err, errlen, errno, "priv: setresgid %u", gid);
	/* the bounding set needs CAP_SETPCAP: empty it while still root */
	if (priv_clear_bounding(err, errlen) == -1)
		return -1;
	if (setresuid(uid, uid, uid) == -1)
		return util_fail(err, errlen, errno, "priv: setresuid %u", uid);
	/* nothing this process or its children exec may gain privileges */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return util_fail(err, errlen, errno, "priv: no_new_privs");
	if (priv_check(uid, gid, err, errlen) == -1)
		return -1;
	return priv_check_sealed(err, errlen);
}
