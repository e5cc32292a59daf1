/* t/25-priv.c -- priv: resolving the user and dropping root for good */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/priv.h"
#include "tap.h"

/* What a child saw after priv_drop(), sent back over a pipe. */
struct seen {
	int		 rc;
	char		 err[256];
	uid_t		 ru, eu, su;
	gid_t		 rg, eg, sg;
	int		 ngroups;
	gid_t		 group0;
	int		 setuid0, seteuid0, setresuid0, setgid0;
	int		 capeff_zero, capprm_zero;
	int		 shadow_errno;
};

static int
status_zero(const char *name)
{
	FILE		*f;
	char		 line[256];
	size_t		 len = strlen(name);
	int		 zero = -1;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			zero = strtoull(line + len + 1, NULL, 16) == 0;
	fclose(f);
	return zero;
}

/* Forks; the child optionally gets extra groups, drops, reports. */
static int
drop_in_child(uid_t uid, gid_t gid, int extra_groups, struct seen *s)
{
	static const gid_t extra[] = { 0, 4, 27 };
	gid_t		 groups[16];
	int		 p[2], st, fd;
	pid_t		 pid;

	memset(s, 0, sizeof(*s));
	if (pipe(p) == -1)
		bail("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		if (extra_groups && setgroups(3, extra) == -1)
			_exit(3);
		s->rc = priv_drop(uid, gid, s->err, sizeof(s->err));
		getresuid(&s->ru, &s->eu, &s->su);
		getresgid(&s->rg, &s->eg, &s->sg);
		s->ngroups = getgroups(16, groups);
		s->group0 = s->ngroups > 0 ? groups[0] : (gid_t)-1;
		s->setuid0 = setuid(0);
		s->seteuid0 = seteuid(0);
		s->setresuid0 = setresuid(0, 0, 0);
		s->setgid0 = setgid(0);
		s->capeff_zero = status_zero("CapEff");
		s->capprm_zero = status_zero("CapPrm");
		errno = 0;
		if ((fd = open("/etc/shadow", O_RDONLY)) != -1)
			close(fd);
		s->shadow_errno = errno;
		if (write(p[1], s, sizeof(*s)) != (ssize_t)sizeof(*s))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], s, sizeof(*s)) != (ssize_t)sizeof(*s))
		memset(s, 0xff, sizeof(*s));
	close(p[0]);
	if (waitpid(pid, &st, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
main(void)
{
	struct priv_id	 id;
	struct passwd	*pw;
	struct seen	 s;
	char		 err[256];
	uid_t		 nuid;
	gid_t		 ngid;

	plan(23);

	/* resolving */
	if ((pw = getpwnam("nobody")) == NULL)
		bail("no user nobody on this system");
	nuid = pw->pw_uid;
	ngid = pw->pw_gid;
	ok(priv_resolve("nobody", NULL, &id, err, sizeof(err)) == 0 &&
	    id.uid == nuid && id.gid == ngid,
	    "nobody resolves to its uid and primary gid");
	ok(priv_resolve("nobody", "4242", &id, err, sizeof(err)) == 0 &&
	    id.uid == nuid && id.gid == 4242,
	    "a numeric group overrides the primary group");
	ok(priv_resolve("root", NULL, &id, err, sizeof(err)) == 0 &&
	    id.uid == 0 && strcmp(id.home, "/root") == 0,
	    "root resolves with its home");
	ok(priv_resolve("cairn-no-such-user", NULL, &id, err,
	    sizeof(err)) == -1 &&
	    strcmp(err, "user cairn-no-such-user: no such user") == 0,
	    "an unknown user is an error naming it: %s", err);
	ok(priv_resolve("nobody", "cairn-no-such-group", &id, err,
	    sizeof(err)) == -1 &&
	    strstr(err, "group cairn-no-such-group: no such group") != NULL,
	    "an unknown group is an error naming it");
	ok(priv_resolve("54321", "54321", &id, err, sizeof(err)) == 0 &&
	    id.uid == 54321 && id.gid == 54321,
	    "bare numeric ids with a group resolve (containers)");
	ok(priv_resolve("54321", NULL, &id, err, sizeof(err)) == -1,
	    "a bare unknown uid without a group is refused");

	/* priv_check can fail: it is not an always-true proof */
	ok(priv_check(getuid() + 1, getgid(), err, sizeof(err)) == -1 &&
	    strstr(err, "uids are") != NULL,
	    "priv_check notices the wrong uid: %s", err);

	if (geteuid() != 0) {
		ok(priv_drop(nuid, ngid, err, sizeof(err)) == 1 &&
		    strstr(err, "not started as root") != NULL,
		    "as non-root, priv_drop is a no-op that says so: %s", err);
		skip(14, "not root: cannot test the drop itself");
		return tap_exit();
	}
	ok(priv_drop(0, 0, err, sizeof(err)) == -1 && getuid() == 0,
	    "refuses to 'drop' to root: %s", err);

	is_int(drop_in_child(nuid, ngid, 0, &s), 0, "child ran");
	is_int(s.rc, 0, "priv_drop succeeded: %s", s.err);
	ok(s.ru == nuid && s.eu == nuid && s.su == nuid,
	    "real, effective and saved uid are nobody's (%u/%u/%u)",
	    s.ru, s.eu, s.su);
	ok(s.rg == ngid && s.eg == ngid && s.sg == ngid,
	    "real, effective and saved gid are nobody's (%u/%u/%u)",
	    s.rg, s.eg, s.sg);
	ok(s.ngroups == 1 && s.group0 == ngid,
	    "the only supplementary group is the primary one");
	ok(s.setuid0 == -1 && s.seteuid0 == -1 && s.setresuid0 == -1,
	    "setuid(0), seteuid(0), setresuid(0,0,0) fail");
	ok(s.setgid0 == -1, "setgid(0) fails");
	ok(s.capeff_zero == 1 && s.capprm_zero == 1,
	    "CapEff and CapPrm are empty");
	if (access("/etc/shadow", F_OK) == 0)
		is_int(s.shadow_errno, EACCES, "/etc/shadow is unreadable");
	else
		skip(1, "no /etc/shadow");

	/* root's supplementary groups must not survive the drop */
	is_int(drop_in_child(nuid, ngid, 1, &s), 0, "child with groups ran");
	is_int(s.rc, 0, "priv_drop succeeded: %s", s.err);
	ok(s.ngroups == 1 && s.group0 == ngid,
	    "root's supplementary groups 0, 4, 27 are gone (%d left)",
	    s.ngroups);

	/* the target group may differ from the user's primary group */
	is_int(drop_in_child(nuid, 4242, 0, &s), 0, "child with gid ran");
	ok(s.rc == 0 && s.rg == 4242 && s.eg == 4242 && s.sg == 4242 &&
	    s.ngroups == 1 && s.group0 == 4242,
	    "dropped to an explicit group");
	return tap_exit();
}
