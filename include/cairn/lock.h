/*
 * lock -- one cairnd per backup folder.
 *
 * Contract
 *   - lock_acquire() takes an exclusive flock(2) on BACKUP_DIR/.cairnd.lock
 *     (created mode 0644, opened O_CLOEXEC so workers never inherit it) and
 *     writes the caller's pid into it.  The lock lasts as long as the
 *     descriptor: the caller owns it and releases the lock by closing it
 *     (or by dying; nothing stale is left behind).  The file is never
 *     unlinked: unlinking a lock file races with the next locker.
 *   - A folder already locked fails with EWOULDBLOCK and a message naming
 *     the pid written by the holder.  Other errors: -1, errno, message.
 *   - lock_holder() only looks: the holder's pid, 0 if nobody holds it.
 */
#ifndef CAIRN_LOCK_H
#define CAIRN_LOCK_H

#include <stddef.h>
#include <sys/types.h>

#define LOCK_FILE	".cairnd.lock"

/* Returns the locked fd (caller owns), or -1 with errno and err. */
int	lock_acquire(const char *backup_dir, char *err, size_t errlen);
/* The same in the open folder dirfd (backup_dir names it in messages);
 * the lock must be a regular file with one link (root truncates it). */
int	lock_acquire_at(int dirfd, const char *backup_dir, char *err,
	    size_t errlen);
/* The holder's pid (-2: held, pid unknown), 0: free, -1: error (errno). */
pid_t	lock_holder(const char *backup_dir);

#endif /* CAIRN_LOCK_H */
