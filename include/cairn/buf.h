/*
 * buf -- the one growable byte buffer (mostly text: audit lines, config
 * messages, control replies).
 *
 * Contract
 *   - A struct buf starts zeroed ({ 0 }); p stays NULL until something is
 *     added, then it is always NUL-terminated (len does not count the NUL).
 *   - The buf owns p: buf_free() releases it and zeroes the struct.  A
 *     caller may take p instead (then it owns it; leave the buf alone).
 *   - Allocation failure aborts (xreallocarray), as everywhere in cairn.
 *   - The *_max() forms bound len at max: what does not fit is cut, cut is
 *     set, and nothing more is added after (a control reply's limit).
 */
#ifndef CAIRN_BUF_H
#define CAIRN_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	bool		 cut;		/* a *_max() call hit its bound */
};

void	buf_add(struct buf *, const void *, size_t);
void	buf_addc(struct buf *, char);
void	buf_adds(struct buf *, const char *);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_add_max(struct buf *, const void *, size_t, size_t max);
void	buf_vprintf_max(struct buf *, size_t max, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
void	buf_free(struct buf *);

#endif /* CAIRN_BUF_H */
