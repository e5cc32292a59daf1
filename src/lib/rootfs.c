/* rootfs.c -- see rootfs.h */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/rootfs.h"
#include "cairn/util.h"

#define ROOTFS_MAXLINKS	40
#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Only root can add, remove or rename entries of this folder. */
static bool
only_root_writes(const struct stat *d)
{
	return d->st_uid == 0 && ((d->st_mode & S_IWGRP) == 0 ||
	    d->st_gid == 0) && (d->st_mode & S_IWOTH) == 0;
}

/* The entry e of folder d cannot be swapped by anyone but root. */
static bool
pinned(const struct stat *d, const struct stat *e)
{
	if (only_root_writes(d))
		return true;
	/* sticky: only the entry's or the folder's owner may rename it */
	return (d->st_mode & S_ISVTX) != 0 && d->st_uid == 0 && e->st_uid == 0;
}

/* Replaces the walk's remaining names with target/rest. */
static char *
walk_splice(const char *target, const char *rest)
{
	return xasprintf("%s/%s", target, rest);
}

/*
 * Long (81 lines): one walk over the components, where a symlink splices
 * its target into the rest of the same buffer.
 */
int
rootfs_opendir(const char *path, char *err, size_t errlen)
{
	struct stat	 d, e;
	char		*buf, *p, *name, *next, target[PATH_MAX], *nbuf;
	int		 fd, nfd, links = 0, saved;
	ssize_t		 n;

	if (*path != '/')
		return util_fail(err, errlen, EINVAL, "%s: not an absolute "
		    "path", path);
	if ((fd = open("/", DIR_FLAGS)) == -1)
		return util_fail(err, errlen, errno, "%s: /", path);
	buf = xstrdup(path);
	for (p = buf;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		name = p;
		next = strchr(p, '/');
		if (next != NULL)
			*next++ = '\0';
		p = next != NULL ? next : name + strlen(name);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			util_fail(err, errlen, EINVAL, "%s: \"..\" is not "
			    "allowed in a path root opens", path);
			goto fail;
		}
		if (fstat(fd, &d) == -1 || fstatat(fd, name, &e,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			util_fail(err, errlen, errno, "%s: %s", path, name);
			goto fail;
		}
		if (S_ISLNK(e.st_mode)) {
			if (!pinned(&d, &e)) {
				util_fail(err, errlen, ELOOP, "%s: %s is a "
				    "symlink in a folder others than root can "
				    "change (root follows none there)", path,
				    name);
				goto fail;
			}
			n = readlinkat(fd, name, target, sizeof(target) - 1);
			if (n == -1 || ++links > ROOTFS_MAXLINKS) {
				util_fail(err, errlen, n == -1 ? errno : ELOOP,
				    "%s: %s", path, name);
				goto fail;
			}
			target[n] = '\0';
			nbuf = walk_splice(target, p);
			free(buf);
			buf = p = nbuf;
			if (*target == '/') {
				close(fd);
				if ((fd = open("/", DIR_FLAGS)) == -1) {
					util_fail(err, errlen, errno, "%s: /",
					    path);
					goto fail;
				}
			}
			continue;
		}
		if ((nfd = openat(fd, name, DIR_FLAGS)) == -1) {
			util_fail(err, errlen, errno, "%s: %s%s", path, name,
			    errno == ELOOP ? " (became a symlink)" : "");
			goto fail;
		}
		close(fd);
		fd = nfd;
	}
	free(buf);
	return fd;
fail:
	saved = errno;
	free(buf);
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

int
rootfs_openparent(const char *path, const char **leaf, char *err,
    size_t errlen)
{
	const char	*slash = strrchr(path, '/');
	char		*dir;
	int		 fd;

	if (slash == NULL || slash[1] == '\0' || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0)
		return util_fail(err, errlen, EINVAL, "%s: not an absolute "
		    "path to a file or folder", path);
	dir = slash == path ? xstrdup("/") :
	    xasprintf("%.*s", (int)(slash - path), path);
	fd = rootfs_opendir(dir, err, errlen);
	free(dir);
	*leaf = slash + 1;
	return fd;
}

/* 1: no entries but . and ..; 0: some; -1: error. */
static int
dir_empty(int fd)
{
	struct dirent	*de;
	DIR		*dp;
	int		 dfd, rc = 1;

	if ((dfd = openat(fd, ".", DIR_FLAGS)) == -1)
		return -1;
	if ((dp = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			rc = 0;
			break;
		}
	closedir(dp);
	return rc;
}

/* Writable by others, or by a group that is neither root's nor gid. */
static const char *
loose_mode(const struct stat *st, gid_t gid)
{
	if (st->st_mode & S_IWOTH)
		return "writable by anyone";
	if ((st->st_mode & S_IWGRP) && st->st_gid != gid && st->st_gid != 0)
		return "writable by a group that is not cairn's";
	return NULL;
}

int
rootfs_mkdir(int dirfd, const char *name, const char *shown, mode_t mode,
    const struct rootfs_owner *o, int flags, char *err, size_t errlen)
{
	struct stat	 st;
	const char	*loose;
	bool		 made = false;
	int		 fd, empty;

	if (mkdirat(dirfd, name, mode) == 0)
		made = true;
	else if (errno != EEXIST)
		return util_fail(err, errlen, errno, "%s", shown);
	if ((fd = openat(dirfd, name, DIR_FLAGS)) == -1)
		return util_fail(err, errlen, errno, "%s%s", shown,
		    errno == ELOOP || errno == ENOTDIR ? " (not a folder)" :
		    "");
	if (fstat(fd, &st) == -1) {
		util_fail(err, errlen, errno, "%s", shown);
		goto fail;
	}
	if ((loose = loose_mode(&st, o->gid)) != NULL) {
		util_fail(err, errlen, EPERM, "%s: %s (mode %04o; chmod "
		    "o-w,g-w it)", shown, loose, (unsigned)st.st_mode & 07777);
		goto fail;
	}
	if (!o->give || (st.st_uid == o->uid && st.st_gid == o->gid) ||
	    (!made && !(flags & ROOTFS_ADOPT)))
		return fd;
	if (!made && st.st_uid != o->uid && (empty = dir_empty(fd)) != 1) {
		util_fail(err, errlen, empty == -1 ? errno : EEXIST, "%s: "
		    "belongs to uid %u and is not empty: cairn adopts only "
		    "a folder of its own or an empty one", shown,
		    (unsigned)st.st_uid);
		goto fail;
	}
	if (fchown(fd, o->uid, o->gid) == -1) {
		util_fail(err, errlen, errno, "%s: chown", shown);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
rootfs_openfile(int dirfd, const char *name, const char *shown, int flags,
    mode_t mode, const struct rootfs_owner *o, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd;

	if ((fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, mode)) == -1)
		return util_fail(err, errlen, errno, "%s%s", shown,
		    errno == ELOOP ? " (a symlink: root follows none there)" :
		    "");
	if (fstat(fd, &st) == -1) {
		util_fail(err, errlen, errno, "%s", shown);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		util_fail(err, errlen, EINVAL, "%s: not a regular file", shown);
		goto fail;
	}
	if ((flags & O_ACCMODE) == O_RDONLY)
		return fd;
	if (st.st_nlink != 1) {
		util_fail(err, errlen, EMLINK, "%s: has %ju links (a hard link "
		    "could be any file)", shown, (uintmax_t)st.st_nlink);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != o->uid) {
		util_fail(err, errlen, EPERM, "%s: belongs to uid %u, neither "
		    "root nor cairn's", shown, (unsigned)st.st_uid);
		goto fail;
	}
	if (o->give && (st.st_uid != o->uid || st.st_gid != o->gid) &&
	    fchown(fd, o->uid, o->gid) == -1) {
		util_fail(err, errlen, errno, "%s: chown", shown);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Folders of the system that are never a backup folder. */
static const char *const system_dirs[] = {
	"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32",
	"/lib64", "/libx32", "/media", "/mnt", "/opt", "/proc", "/root",
	"/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin",
	"/usr/lib", "/usr/local", "/usr/local/bin", "/usr/local/sbin",
	"/usr/sbin", "/usr/share", "/var", "/var/backups", "/var/cache",
	"/var/lib", "/var/log", "/var/mail", "/var/run", "/var/spool",
	"/var/tmp",
};

/* The first entry of the folder that is not uid's, or a loose sub-folder. */
static int
check_entries(const char *path, uid_t uid, char *why, size_t whylen)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*dp;
	int		 rc = 0;

	if ((dp = opendir(path)) == NULL)
		return 0;	/* not ours to judge: start-up will say */
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(dp), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		/* the lock is made by root before the drop */
		if (st.st_uid != uid && !(st.st_uid == 0 &&
		    strcmp(de->d_name, ".cairnd.lock") == 0))
			rc = util_fail(why, whylen, 0, "%s holds %s, which "
			    "belongs to uid %u, not to cairn's uid %u (a "
			    "folder of cairn's own only)", path, de->d_name,
			    (unsigned)st.st_uid, (unsigned)uid);
		else if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH))
			rc = util_fail(why, whylen, 0, "%s/%s is writable by "
			    "anyone (mode %04o; chmod o-w it)", path,
			    de->d_name, (unsigned)st.st_mode & 07777);
	}
	closedir(dp);
	return rc;
}

int
rootfs_check_backup_dir(const char *path, uid_t uid, gid_t gid, char *why,
    size_t whylen)
{
	struct stat	 st;
	const char	*loose;
	char		 real[PATH_MAX];
	int		 empty, fd;

	if (realpath(path, real) == NULL)
		snprintf(real, sizeof(real), "%s", path);
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(*system_dirs);
	    i++)
		if (strcmp(real, system_dirs[i]) == 0)
			return util_fail(why, whylen, 0, "%s is a system folder "
			    "(a folder of cairn's own, such as "
			    "/var/backups/cairn)", real);
	if (stat(path, &st) == -1)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return util_fail(why, whylen, 0, "%s is not a folder", path);
	if (uid == (uid_t)-1) {
		/* no user: the daemon keeps the folder's owner */
		uid = st.st_uid;
		gid = st.st_gid;
	}
	if ((loose = loose_mode(&st, gid)) != NULL)
		return util_fail(why, whylen, 0, "%s is %s (mode %04o; chmod "
		    "o-w,g-w it)", path, loose, (unsigned)st.st_mode & 07777);
	if (st.st_uid != uid) {
		if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			return 0;
		empty = dir_empty(fd);
		close(fd);
		if (empty == 0)
			return util_fail(why, whylen, 0, "%s belongs to uid %u "
			    "and is not empty: cairn takes over only a folder "
			    "of its own or an empty one", path,
			    (unsigned)st.st_uid);
		return 0;
	}
	return check_entries(path, uid, why, whylen);
}
