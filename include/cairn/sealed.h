/*
 * sealed -- a temporary SQLite file that never holds plaintext on disk
 * (docs/encryption.md, "Temporary files").
 *
 * Contract
 *   - sealed_new(fd) seals the empty regular file open on fd: a fresh
 *     random 256-bit key, held only in this process's memory, encrypts
 *     every byte written to it, in 4 KiB blocks, with ChaCha20 (libsodium)
 *     under a nonce made of the block's index and its write generation:
 *     a block rewritten gets a new nonce, so no keystream is ever used
 *     twice.  Not authenticated: it keeps the bytes from whoever reads the
 *     disk, it does not guard against whoever can write to it (the file is
 *     the worker's own, mode 0600, and removed at the end of the step).
 *     NULL with errno on failure.  Borrows fd only for fstat().
 *   - sealed_pwrite()/sealed_pread() write and read plaintext at an offset
 *     through the seal, on any fd open on that file; a read past the
 *     logical size is short.  0 / bytes read, -1 with errno.
 *   - SQLite opens the file through the VFS "cairn-sealed"
 *     (sealed_vfs_register() once, then "vfs=cairn-sealed" in the URI):
 *     the file is found by device and inode among the live seals; any
 *     other file (journal, temporary) is refused with SQLITE_CANTOPEN, so
 *     use journal_mode = OFF and temp_store = MEMORY.
 *     No memory mapping (the VFS has no xFetch).
 *   - Memory: 4 bytes per 4 KiB block written (5 MiB for a 5 GB file).
 *   - sealed_free() forgets the seal and wipes its key; the file's bytes
 *     are then unreadable by anyone.  Thread-safe: several connections and
 *     threads may read one seal; one writer at a time.
 */
#ifndef CAIRN_SEALED_H
#define CAIRN_SEALED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SEALED_VFS_NAME	"cairn-sealed"

struct sealed;

int		 sealed_vfs_register(void);
struct sealed	*sealed_new(int fd);
void		 sealed_free(struct sealed *);
int		 sealed_pwrite(struct sealed *, int, const void *, size_t,
		    uint64_t);
ssize_t		 sealed_pread(struct sealed *, int, void *, size_t, uint64_t);
uint64_t	 sealed_size(const struct sealed *);

#endif /* CAIRN_SEALED_H */
