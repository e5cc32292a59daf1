/*
 * audit_int -- private to src/lib/audit*.c: the open trail and the helpers
 * its three parts share.  audit.c writes, audit_parse.c parses one line,
 * audit_read.c verifies the chain and tails.  Nothing else includes it.
 */
#ifndef CAIRN_AUDIT_INT_H
#define CAIRN_AUDIT_INT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cairn/audit.h"
#include "cairn/buf.h"

#define AUDIT_NAME_MAX	64

struct audit {
	int		 fd;
	char		*path;
	uint64_t	 seq;		/* of the last line */
	char		 head[65];	/* its hash */
	off_t		 size;		/* of the file: we are its only writer */
	audit_hook_fn	 hook;		/* after each write, or NULL */
	void		*hook_arg;
};

/* audit.c */
void	seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int	build_line(struct buf *b, uint64_t seq, const char *stamp,
    const char *event, const struct audit_field *f, const char *prev,
    size_t vmax, char *err, size_t errlen);
int	stamp_time(const char *s, time_t *t);

/* audit_read.c */
int	read_tail(int fd, off_t size, char **bufp, const char **line,
    size_t *linelen, off_t *torn, char *err, size_t errlen, const char *path);

#endif
