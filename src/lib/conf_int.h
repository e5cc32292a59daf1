/*
 * conf_int -- private to src/lib/conf*.c: the parse context and the
 * functions the parts of the config reader share.  Nothing else includes it.
 *
 *   conf.c         conf_load(), conf_free(), summaries, lookups, names
 *   conf_lex.c     reading the file, the pre-lexer's tokens, line tracking
 *   conf_expand.c  the ${VAR} pre-pass (drives the pre-lexer)
 *   conf_msg.c     messages (ctx_err/ctx_warn), suggestions, on_error
 *   conf_build.c   typed getters (get_*), the db connection, globals
 *   conf_jobs.c    the job sections (and their age keys and alerts)
 *   conf_remote.c  the notify and s3 sections
 */
#ifndef CAIRN_CONF_INT_H
#define CAIRN_CONF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <confuse.h>

#include "cairn/buf.h"
#include "cairn/conf.h"

#define CONF_MAX_BYTES		(1024 * 1024)
#define CONF_NAME_MAX		64

#define DEF_SCHEDULE		"0 */6 * * *"
#define DEF_PRUNE_SCHEDULE	"30 */6 * * *"
#define DEF_VERIFY_SCHEDULE	"15 3 * * *"
#define DEF_BACKUP_DIR		"/var/backups/cairn"
#define DEF_CONTROL_SOCKET	"/run/cairn/cairnd.sock"
#define DEF_ZONEINFO		"/usr/share/zoneinfo"

#define EXPECT_CRON		"a 5-field cron expression"
#define EXPECT_PATH		"an absolute path, starting with /"
#define EXPECT_DURATION		"a number of seconds, or a number with s, m, " \
	"h, d or w"
#define EXPECT_SIZE		"a number of bytes, or a number with K, M, G " \
	"or T (powers of 1024)"

struct line_rec {
	const void	*key;		/* a cfg_opt_t or a section's cfg_t */
	int		 line;
};

struct msg {
	int		 line;
	size_t		 seq;
	char		*text;
};

struct word {
	char		*text;
	int		 line;
};

struct ctx {
	const char	*path;
	FILE		*errs;
	int		 nerr;
	struct msg	*msgs;
	size_t		 nmsgs;
	struct line_rec	*lines;		/* where each option/section was set */
	size_t		 nlines;
	int		*closes;	/* section start lines, in closing order */
	size_t		 ncloses, iclose;
	struct word	*heads;		/* words right before a section's { */
	size_t		 nheads;
	cfg_t		*cfg;
	conf_held_fn	 held;		/* conf_load_held(): files held open */
	void		*held_arg;
};

/*
 * The expansion pre-pass.  It copies the file, replacing each ${VAR} and
 * ${VAR:-default} (outside comments and single quotes) with the value
 * quoted for libconfuse, so the values never pass through libconfuse's own
 * expansion (which ignores ":-" for empty variables and turns an unset one
 * into "" silently).  Values never add lines, so line numbers stay right.
 * On the way it notes where each section starts, which libconfuse does not
 * tell: the start line of every section in the order the sections close.
 */
struct scan {
	struct ctx	*c;
	const char	*in;
	size_t		 len, i;
	int		 line;
	struct buf	 out;
	struct word	 w[2];		/* the last two words */
	int		 adjacent;	/* w[0] came right before w[1] */
	int		 prev;		/* last token: 'w'ord, '=' or other */
	char		 key[CONF_NAME_MAX + 1];	/* option being set */
	int		*stack;		/* open braces: section line, -list line */
	size_t		 depth;
};

/* libconfuse's callbacks carry no user pointer: conf_load() sets this. */
extern struct ctx	*conf_cur;

extern const char *const conf_compress_names[4];
extern const char *const conf_ssl_names[6];
extern const int64_t conf_size_mult[];

/* conf_msg.c */
void __attribute__((format(printf, 4, 5)))
ctx_err(struct ctx *c, int line, const char *what, const char *fmt, ...);
void __attribute__((format(printf, 4, 5)))
ctx_warn(struct ctx *c, int line, const char *what, const char *fmt, ...);
void	ctx_flush(struct ctx *c);
void	on_error(cfg_t *sec, const char *fmt, va_list ap);

/* conf_lex.c */
struct line_rec	*line_find(struct ctx *c, const void *key);
int	is_word_char(char ch);
const char	*scan_key(struct scan *s);
void	scan_dq(struct scan *s);
void	scan_sq(struct scan *s);
void	scan_bare(struct scan *s);
void	scan_open(struct scan *s);
void	scan_close(struct scan *s);
void	mark_opts(cfg_opt_t *o);
char	*read_file(struct ctx *c, const char *path, size_t *lenp);

/* conf_expand.c */
int	scan_ref(struct scan *s, struct buf *dst);
char	*conf_expand(struct ctx *c, const char *in, size_t len);

/* conf_build.c */
const char	*opt_str(cfg_t *sec, const char *name);
int	sec_line(struct ctx *c, cfg_t *sec);
int	opt_line(struct ctx *c, cfg_t *sec, const char *name);
int	get_int(struct ctx *c, cfg_t *sec, const char *name, long min, long max,
    const char *unit, int *out);
int	get_scaled(struct ctx *c, cfg_t *sec, const char *name, const char *units,
    const int64_t *mult, int64_t min, int64_t max, const char *expect,
    int64_t *out);
int	get_duration(struct ctx *c, cfg_t *sec, const char *name, int64_t max,
    int *out);
int	get_bool(struct ctx *c, cfg_t *sec, const char *name, bool *out);
int	get_enum(struct ctx *c, cfg_t *sec, const char *name,
    const char *const *names, const char *expect, int *out);
bool	has_ctrl(const char *s);
int	get_str(struct ctx *c, cfg_t *sec, const char *name, bool empty_ok,
    const char *expect, char **out);
int	get_path(struct ctx *c, cfg_t *sec, const char *name, bool empty_ok,
    char **out);
int	get_readable(struct ctx *c, cfg_t *sec, const char *name, const char *what,
    char **out);
int	get_cron(struct ctx *c, cfg_t *sec, const char *name, char **str,
    struct cron_expr *ce);
void	list_free(char **l);
char	**list_dup(char *const *l);
bool	list_has(char *const *l, const char *s);
void	default_cron(struct ctx *c, const char *expr, char **str,
    struct cron_expr *ce);
void	db_defaults(struct db_conn *db);
void	db_free(struct db_conn *db);
void	db_build(struct ctx *c, cfg_t *sec, struct db_conn *db, bool full);
void	retention_build(struct ctx *c, struct conf *cf);
void	verify_build(struct ctx *c, struct conf *cf);
void	globals_build(struct ctx *c, struct conf *cf);

/* conf_jobs.c */
void	job_free_fields(struct job_conf *j);
bool	db_name_ok(const char *s);
void	jobs_build(struct ctx *c, struct conf *cf);

/* conf_remote.c */
void	notify_free_fields(struct notify_conf *n);
void	notifiers_build(struct ctx *c, struct conf *cf);
void	s3_free_fields(struct s3_conf *r);
void	s3_build(struct ctx *c, struct conf *cf);

#endif
