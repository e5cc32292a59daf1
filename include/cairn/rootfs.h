/*
 * rootfs -- file operations done as root in places the backup user can
 * reach (docs/security.md).
 *
 * Contract
 *   - Root acts on descriptors only.  rootfs_opendir() walks a path from
 *     "/" one name at a time with O_NOFOLLOW; a symlink is followed only
 *     where it sits in a folder that only root can change (owned by root,
 *     not writable by a non-root group or by others; or a root-owned
 *     symlink in a root-owned sticky folder such as /tmp).  A symlink
 *     anywhere else, "..", or a name that changes under the walk is refused.
 *   - Everything after that uses *at() calls on the folder's descriptor and
 *     fchown(2) on the object's own descriptor, after checking it by fstat:
 *     a folder not writable by others (nor by a group other than the
 *     owner's), a regular file with one link owned by root or the user.
 *   - An existing folder is given to the user only when it is already the
 *     user's or is empty: cairn never adopts a populated folder it did not
 *     make.
 *   - rootfs_check_backup_dir() is the configuration check of backup_dir
 *     (cairnd -n): not a system folder, not writable by others, nothing in
 *     it that belongs to someone else.
 *   - Errors: -1 with errno set and a message naming the path in err.
 *     Returned descriptors are O_CLOEXEC and owned by the caller.
 */
#ifndef CAIRN_ROOTFS_H
#define CAIRN_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who gets what root makes; give: chown at all (false: not root). */
struct rootfs_owner {
	uid_t		 uid;
	gid_t		 gid;
	bool		 give;
};

/* The folder path, opened O_RDONLY|O_DIRECTORY. */
int	rootfs_opendir(const char *path, char *err, size_t errlen);
/* path's folder; *leaf is the last name of path (points into path). */
int	rootfs_openparent(const char *path, const char **leaf, char *err,
	    size_t errlen);

#define ROOTFS_ADOPT	0x1	/* chown an existing folder (when allowed) */

/*
 * Makes folder name in dirfd (mode) when missing and opens it; gives a new
 * one to the owner, and an existing one too with ROOTFS_ADOPT when it is
 * the owner's already or empty.  shown names it in messages.
 */
int	rootfs_mkdir(int dirfd, const char *name, const char *shown,
	    mode_t mode, const struct rootfs_owner *, int flags, char *err,
	    size_t errlen);

/*
 * openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode), checked: a
 * regular file; opened for writing, also one link only and owned by root
 * or the owner, then given to the owner.
 */
int	rootfs_openfile(int dirfd, const char *name, const char *shown,
	    int flags, mode_t mode, const struct rootfs_owner *, char *err,
	    size_t errlen);

/*
 * The configuration check of backup_dir for the user uid (-1: none set):
 * 0, or -1 with the reason in why.  A folder that does not exist yet
 * passes (start-up makes it); one that cannot be read is not judged.
 */
int	rootfs_check_backup_dir(const char *path, uid_t uid, gid_t gid,
	    char *why, size_t whylen);

#endif /* CAIRN_ROOTFS_H */
