/* conf.c -- see conf.h */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn/age.h"
#include "cairn/buf.h"
#include "cairn/conf.h"
#include "cairn/rootfs.h"
#include "cairn/util.h"

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

/*
 * Every option is read as a string (CFGF_NODEFAULT, so "unset" is visible)
 * and converted here, which lets each message quote the value as written.
 * The defaults live in conf_defaults() and the job template, not in these
 * tables.
 */
#define S(n)	CFG_STR(n, NULL, CFGF_NODEFAULT)
#define L(n)	CFG_STR_LIST(n, NULL, CFGF_NODEFAULT)
#define JOB_OPTS \
	S("schedule"), S("run_at_start"), S("retries"), S("compression"), \
	S("compression_level"), S("compression_threads"), \
	L("age_recipients"), S("age_recipients_file"), S("age_identity_file"), \
	S("stale_after"), S("size_drop"), S("min_size"), \
	S("repeat_interval"), L("notify"), \
	S("upload")

static cfg_opt_t defaults_opts[] = {
	JOB_OPTS,
	CFG_END()
};
static cfg_opt_t sqlite_opts[] = {
	JOB_OPTS,
	S("path"),
	CFG_END()
};
static cfg_opt_t mysql_opts[] = {
	JOB_OPTS,
	S("host"), S("port"), S("socket"), S("user"), S("password_file"),
	L("databases"), L("exclude_tables"),
	S("ssl_mode"), S("ssl_ca"), S("ssl_cert"), S("ssl_key"),
	S("connect_timeout"), S("read_timeout"), S("lock_wait_timeout"),
	S("connect_retry"), S("checksum"),
	CFG_END()
};
static cfg_opt_t retention_opts[] = {
	S("days"), S("keep_min"), S("keep_daily"), S("keep_weekly"),
	S("keep_monthly"), S("schedule"),
	CFG_END()
};
static cfg_opt_t s3_retention_opts[] = {
	S("days"), S("keep_min"),
	CFG_END()
};
static cfg_opt_t s3_opts[] = {
	S("endpoint"), S("region"), S("bucket"), S("prefix"),
	S("access_key_file"), S("secret_key_file"), S("path_style"),
	S("storage_class"), S("part_size"), S("concurrency"),
	S("bandwidth_limit"), S("verify_download"),
	CFG_SEC("retention", s3_retention_opts, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t target_opts[] = {
	S("host"), S("port"), S("socket"), S("user"), S("password_file"),
	S("ssl_mode"), S("database"),
	CFG_END()
};
static cfg_opt_t verify_opts[] = {
	S("after_backup"), S("schedule"), S("restore_test"),
	CFG_SEC("target", target_opts, CFGF_NONE),
	CFG_END()
};
static cfg_opt_t notify_opts[] = {
	S("type"), S("url"), S("headers_file"), L("command"), S("timeout"),
	S("retries"),
	CFG_END()
};
static cfg_opt_t root_opts[] = {
	S("user"), S("group"), S("backup_dir"), S("log_file"), S("audit_log"),
	S("control_socket"), S("socket_group"), S("metrics_file"),
	S("max_workers"), S("heartbeat_interval"), S("heartbeat_timeout"),
	S("shutdown_timeout"), S("timezone"), S("file_mode"),
	S("alert_rate_limit"), S("alert_queue"),
	CFG_SEC("defaults", defaults_opts, CFGF_NONE),
	CFG_SEC("mysql", mysql_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("sqlite", sqlite_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("retention", retention_opts, CFGF_NONE),
	CFG_SEC("verify", verify_opts, CFGF_NONE),
	CFG_SEC("notify", notify_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("s3", s3_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};
#undef S
#undef L

static const char *const compress_names[] = { "gzip", "zstd", "none", NULL };
static const char *const ssl_names[] = {
	"disabled", "preferred", "required", "verify_ca", "verify_identity",
	NULL
};

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

/* libconfuse's callbacks carry no user pointer: conf_load() sets this. */
static struct ctx	*cur;

/* Appends s escaped for a libconfuse double-quoted string. */
static void
buf_add_quoted(struct buf *b, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':	buf_add(b, "\\\\", 2); break;
		case '"':	buf_add(b, "\\\"", 2); break;
		case '$':	buf_add(b, "\\$", 2); break;
		case '\n':	buf_add(b, "\\n", 2); break;
		case '\r':	buf_add(b, "\\r", 2); break;
		case '\t':	buf_add(b, "\\t", 2); break;
		default:	buf_addc(b, s[i]); break;
		}
	}
}

/*
 * Appends s with control characters escaped: values are quoted as written,
 * and a newline in one must not start a line that reads like a message.
 */
static void
buf_add_printable(struct buf *b, const char *s)
{
	char	 esc[8];

	for (; *s != '\0'; s++) {
		if (!iscntrl((unsigned char)*s))
			buf_addc(b, *s);
		else if (*s == '\n')
			buf_add(b, "\\n", 2);
		else if (*s == '\t')
			buf_add(b, "\\t", 2);
		else {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*s);
			buf_add(b, esc, 4);
		}
	}
}

static void
ctx_vadd(struct ctx *c, int line, const char *prefix, const char *what,
    const char *fmt, va_list ap)
{
	struct buf	 b = { 0 };
	char		*text;
	int		 n;

	if (line > 0)
		text = xasprintf("%s:%d: %s", c->path, line, prefix);
	else
		text = xasprintf("%s: %s", c->path, prefix);
	buf_add(&b, text, strlen(text));
	free(text);
	buf_add_printable(&b, what);
	buf_add(&b, ": ", 2);
	if ((n = vasprintf(&text, fmt, ap)) < 0)
		text = xstrdup("(out of memory formatting the message)");
	buf_add_printable(&b, text);
	free(text);
	c->msgs = xreallocarray(c->msgs, c->nmsgs + 1, sizeof(*c->msgs));
	c->msgs[c->nmsgs].line = line;
	c->msgs[c->nmsgs].seq = c->nmsgs;
	c->msgs[c->nmsgs].text = b.p;
	c->nmsgs++;
}

/* One problem: "FILE:LINE: what: FMT"; FMT ends with "(what was expected)". */
static void __attribute__((format(printf, 4, 5)))
ctx_err(struct ctx *c, int line, const char *what, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctx_vadd(c, line, "", what, fmt, ap);
	va_end(ap);
	c->nerr++;
}

static void __attribute__((format(printf, 4, 5)))
ctx_warn(struct ctx *c, int line, const char *what, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctx_vadd(c, line, "warning: ", what, fmt, ap);
	va_end(ap);
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct msg	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints the messages sorted by line, so the file reads top to bottom. */
static void
ctx_flush(struct ctx *c)
{
	size_t	 i;

	if (c->nmsgs > 0)
		qsort(c->msgs, c->nmsgs, sizeof(*c->msgs), msg_cmp);
	for (i = 0; i < c->nmsgs; i++) {
		fprintf(c->errs, "%s\n", c->msgs[i].text);
		free(c->msgs[i].text);
	}
	free(c->msgs);
	c->msgs = NULL;
	c->nmsgs = 0;
	fflush(c->errs);
}

static struct line_rec *
line_find(struct ctx *c, const void *key)
{
	size_t	 i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < c->nlines; i++)
		if (c->lines[i].key == key)
			return &c->lines[i];
	return NULL;
}

static void
line_add(struct ctx *c, const void *key, int line)
{
	c->lines = xreallocarray(c->lines, c->nlines + 1, sizeof(*c->lines));
	c->lines[c->nlines].key = key;
	c->lines[c->nlines].line = line;
	c->nlines++;
}

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

static int
is_word_char(char ch)
{
	return ch != '\0' && !isspace((unsigned char)ch) &&
	    strchr("{}=,()\"'#", ch) == NULL;
}

static const char *
scan_key(struct scan *s)
{
	return s->key[0] != '\0' ? s->key : "syntax error";
}

#define SCAN_REF_DEPTH	8	/* ${A:-${B:-...}} nesting */

/*
 * The end of the reference at ref ("${"): its closing brace, past any
 * nested "${...}" of a default; NULL if the line ends first.
 */
static const char *
scan_ref_end(const char *ref, const char *end)
{
	int	 depth = 0;

	for (const char *q = ref + 2; q < end && *q != '\n'; q++) {
		if (q[0] == '$' && q + 1 < end && q[1] == '{') {
			depth++;
			q++;
		} else if (*q == '}' && depth-- == 0)
			return q;
	}
	return NULL;
}

/*
 * Expands the reference at ref ("${") into dst, as the shell does: the
 * default of ${NAME:-default} is expanded only when it is used, and may
 * hold references itself.  0, or -1 after reporting a problem.
 */
static int
scan_ref_at(struct scan *s, const char *ref, const char *q, struct buf *dst,
    int depth)
{
	const char	*p = ref + 2, *name = p, *def = NULL, *val, *r, *e;
	size_t		 nlen;
	char		*var;
	int		 rc = 0;

	while (p < q && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	nlen = p - name;
	if (nlen > 0 && p + 1 < q && p[0] == ':' && p[1] == '-')
		def = p + 2;
	if (nlen == 0 || isdigit((unsigned char)*name) ||
	    (def == NULL && p != q)) {
		ctx_err(s->c, s->line, scan_key(s),
		    "\"%.*s\": bad variable reference (${NAME} or "
		    "${NAME:-default}, NAME of letters, digits and _)",
		    (int)(q + 1 - ref), ref);
		return -1;
	}
	if (depth >= SCAN_REF_DEPTH) {
		ctx_err(s->c, s->line, scan_key(s), "\"%.*s\": references "
		    "nested more than %d deep", (int)(q + 1 - ref), ref,
		    SCAN_REF_DEPTH);
		return -1;
	}
	var = xasprintf("%.*s", (int)nlen, name);
	val = getenv(var);
	if (val != NULL && (*val != '\0' || def == NULL))
		buf_add(dst, val, strlen(val));
	else if (def != NULL) {
		for (r = def; r < q && rc == 0; ) {
			if (r[0] == '$' && r + 1 < q && r[1] == '{' &&
			    (e = scan_ref_end(r, q + 1)) != NULL) {
				rc = scan_ref_at(s, r, e, dst, depth + 1);
				r = e + 1;
			} else
				buf_addc(dst, *r++);
		}
	} else {
		ctx_err(s->c, s->line, scan_key(s),
		    "${%s} is not set (set %s in the environment, or write "
		    "${%s:-default})", var, var, var);
		rc = -1;
	}
	free(var);
	return rc;
}

/* At "${": appends the value to dst; -1 after reporting a problem. */
static int
scan_ref(struct scan *s, struct buf *dst)
{
	const char	*ref = s->in + s->i, *end = s->in + s->len, *q;
	int		 rc;

	if ((q = scan_ref_end(ref, end)) == NULL) {
		for (q = ref; q < end && *q != '\n'; q++)
			;
		ctx_err(s->c, s->line, scan_key(s),
		    "unterminated ${ (${NAME} or ${NAME:-default})");
		s->i = q - s->in;
		return -1;
	}
	rc = scan_ref_at(s, ref, q, dst, 0);
	s->i = q + 1 - s->in;
	return rc;
}

static void
scan_word(struct scan *s, const char *text, size_t n, int line)
{
	free(s->w[0].text);
	s->w[0] = s->w[1];
	s->w[1].text = xasprintf("%.*s", (int)n, text);
	s->w[1].line = line;
	s->adjacent = s->prev == 'w';
	s->prev = 'w';
}

/* A double-quoted string, from the opening quote. */
static void
scan_dq(struct scan *s)
{
	struct buf	 word = { 0 };
	int		 line = s->line;
	char		 ch;

	buf_addc(&s->out, '"');
	for (s->i++; ; ) {
		if (s->i >= s->len) {
			ctx_err(s->c, line, scan_key(s), "the string opened on "
			    "this line is not closed (a closing \")");
			break;
		}
		ch = s->in[s->i];
		if (ch == '"') {
			s->i++;
			break;
		}
		if (ch == '\\' && s->i + 1 < s->len) {
			if (s->in[s->i + 1] == '\n')
				s->line++;
			buf_add(&s->out, s->in + s->i, 2);
			buf_add(&word, s->in + s->i, 2);
			s->i += 2;
			continue;
		}
		if (ch == '$' && s->i + 1 < s->len && s->in[s->i + 1] == '{') {
			struct buf	 val = { 0 };

			if (scan_ref(s, &val) == 0 && val.p != NULL) {
				buf_add_quoted(&s->out, val.p, val.len);
				buf_add(&word, val.p, val.len);
			}
			free(val.p);
			continue;
		}
		if (ch == '\n')
			s->line++;
		buf_addc(&s->out, ch);
		buf_addc(&word, ch);
		s->i++;
	}
	buf_addc(&s->out, '"');
	scan_word(s, word.p ? word.p : "", word.len, line);
	free(word.p);
}

/* A single-quoted string: copied as it is (no expansion inside). */
static void
scan_sq(struct scan *s)
{
	size_t	 start = s->i;
	int	 line = s->line;

	for (s->i++; s->i < s->len && s->in[s->i] != '\''; s->i++) {
		if (s->in[s->i] == '\\' && s->i + 1 < s->len)
			s->i++;
		if (s->in[s->i] == '\n')
			s->line++;
	}
	if (s->i < s->len)
		s->i++;
	buf_add(&s->out, s->in + start, s->i - start);
	scan_word(s, s->in + start + 1,
	    s->i - start >= 2 ? s->i - start - 2 : 0, line);
}

/* An unquoted word; quoted on output if it held a reference. */
static void
scan_bare(struct scan *s)
{
	struct buf	 word = { 0 };
	size_t		 start = s->i;
	int		 expanded = 0;

	while (s->i < s->len) {
		if (s->in[s->i] == '$' && s->i + 1 < s->len &&
		    s->in[s->i + 1] == '{') {
			expanded = 1;
			(void)scan_ref(s, &word);
			continue;
		}
		if (!is_word_char(s->in[s->i]))
			break;
		buf_addc(&word, s->in[s->i++]);
	}
	if (expanded) {
		buf_addc(&s->out, '"');
		if (word.p != NULL)
			buf_add_quoted(&s->out, word.p, word.len);
		buf_addc(&s->out, '"');
	} else
		buf_add(&s->out, s->in + start, s->i - start);
	scan_word(s, word.p ? word.p : "", word.len, s->line);
	free(word.p);
}

static void
scan_head(struct scan *s, const struct word *w)
{
	struct ctx	*c = s->c;

	c->heads = xreallocarray(c->heads, c->nheads + 1, sizeof(*c->heads));
	c->heads[c->nheads].text = xstrdup(w->text);
	c->heads[c->nheads].line = w->line;
	c->nheads++;
}

static void
scan_open(struct scan *s)
{
	int	 line = 0;

	if (s->prev != '=' && s->w[1].text != NULL) {
		line = s->w[1].line;
		scan_head(s, &s->w[1]);
		if (s->adjacent && s->w[0].text != NULL) {
			line = s->w[0].line;	/* "mysql NAME {" */
			scan_head(s, &s->w[0]);
		}
		if (line == 0)
			line = s->line;
	}
	s->stack = xreallocarray(s->stack, s->depth + 1, sizeof(*s->stack));
	s->stack[s->depth++] = line > 0 ? line : -s->line;
	s->key[0] = '\0';
}

static void
scan_close(struct scan *s)
{
	struct ctx	*c = s->c;
	int		 line;

	if (s->depth == 0)
		return;		/* libconfuse reports it */
	line = s->stack[--s->depth];
	if (line <= 0)
		return;
	c->closes = xreallocarray(c->closes, c->ncloses + 1,
	    sizeof(*c->closes));
	c->closes[c->ncloses++] = line;
	s->key[0] = '\0';
}

static char *
conf_expand(struct ctx *c, const char *in, size_t len)
{
	struct scan	 s = { .c = c, .in = in, .len = len, .line = 1 };
	char		 ch;

	buf_add(&s.out, "", 0);
	while (s.i < s.len) {
		ch = in[s.i];
		if (ch == '\n') {
			s.line++;
			buf_addc(&s.out, ch);
			s.i++;
		} else if (isspace((unsigned char)ch)) {
			buf_addc(&s.out, ch);
			s.i++;
		} else if (ch == '#' || (ch == '/' && s.i + 1 < len &&
		    in[s.i + 1] == '/')) {
			/* comments are dropped: libconfuse 3.3 miscounts the
			 * lines of a file that has them */
			while (s.i < len && in[s.i] != '\n')
				s.i++;
		} else if (ch == '/' && s.i + 1 < len && in[s.i + 1] == '*') {
			buf_addc(&s.out, ' ');
			for (s.i += 2; s.i < len && !(in[s.i] == '*' &&
			    s.i + 1 < len && in[s.i + 1] == '/'); s.i++) {
				if (in[s.i] == '\n') {
					s.line++;
					buf_addc(&s.out, '\n');
				}
			}
			if (s.i < len)
				s.i += 2;
			else
				ctx_err(c, s.line, "syntax error", "unexpected "
				    "end of file in a comment (a */ for every "
				    "/*)");
		} else if (ch == '"') {
			scan_dq(&s);
		} else if (ch == '\'') {
			scan_sq(&s);
		} else if (ch == '=' || (ch == '+' && s.i + 1 < len &&
		    in[s.i + 1] == '=')) {
			if (s.prev == 'w' && s.w[1].text != NULL)
				snprintf(s.key, sizeof(s.key), "%s",
				    s.w[1].text);
			s.prev = '=';
			if (ch == '+')
				buf_addc(&s.out, in[s.i++]);
			buf_addc(&s.out, in[s.i++]);
		} else if (ch == '{') {
			scan_open(&s);
			s.prev = 'o';
			buf_addc(&s.out, in[s.i++]);
		} else if (ch == '}') {
			scan_close(&s);
			s.prev = 'o';
			buf_addc(&s.out, in[s.i++]);
		} else if (is_word_char(ch)) {
			scan_bare(&s);
		} else {
			s.prev = 'o';
			buf_addc(&s.out, in[s.i++]);
		}
	}
	if (s.depth > 0)
		ctx_err(c, abs(s.stack[s.depth - 1]), "syntax error", "the { "
		    "on this line is never closed (a } for every {)");
	free(s.w[0].text);
	free(s.w[1].text);
	free(s.stack);
	return s.out.p;
}

/* libconfuse callbacks: note where each option and section was set. */
static int
on_value(cfg_t *sec, cfg_opt_t *opt)
{
	struct line_rec	*r;

	if (cur == NULL)
		return 0;
	if ((r = line_find(cur, opt)) == NULL)
		line_add(cur, opt, sec->line);
	else if ((opt->flags & CFGF_LIST) == 0) {
		ctx_err(cur, sec->line, opt->name,
		    "set twice (one value; it is first set at line %d)",
		    r->line);
		r->line = sec->line;
	} else if (opt->nvalues == 1)
		r->line = sec->line;	/* the list was assigned again */
	return 0;
}

static int
on_section(cfg_t *parent, cfg_opt_t *opt)
{
	struct line_rec	*r;
	cfg_t		*sec;
	unsigned int	 n;
	int		 line;

	if (cur == NULL || (n = cfg_opt_size(opt)) == 0)
		return 0;
	sec = cfg_opt_getnsec(opt, n - 1);
	line = cur->iclose < cur->ncloses ? cur->closes[cur->iclose++] :
	    parent->line;
	if ((opt->flags & CFGF_MULTI) == 0) {
		if ((r = line_find(cur, opt)) != NULL) {
			ctx_err(cur, line, opt->name, "section appears twice "
			    "(one %s section; the first is at line %d)",
			    opt->name, r->line);
			return 0;
		}
		line_add(cur, opt, line);
	}
	if (line_find(cur, sec) == NULL)
		line_add(cur, sec, line);
	return 0;
}

static void
mark_opts(cfg_opt_t *o)
{
	for (; o->name != NULL; o++) {
		if (o->type == CFGT_SEC) {
			o->validcb = on_section;
			mark_opts(o->subopts);
		} else
			o->validcb = on_value;
	}
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, d[CONF_NAME_MAX + 1];
	size_t	 prev, tmp;

	if (la > CONF_NAME_MAX || lb > CONF_NAME_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (tmp + 1 < d[j])
				d[j] = tmp + 1;
			prev = tmp;
		}
	}
	return d[lb];
}

/* "(did you mean X?)" or "(one of: a, b, c)" for what sec accepts. */
static char *
expected_names(cfg_t *sec, const char *name, int sections)
{
	struct buf	 b = { 0 };
	cfg_opt_t	*o, *best = NULL;
	size_t		 d, bestd = 3;

	for (o = sec->opts; o->name != NULL; o++) {
		if ((o->type == CFGT_SEC) != sections)
			continue;
		if ((d = edit_distance(name, o->name)) < bestd) {
			bestd = d;
			best = o;
		}
	}
	if (best != NULL)
		return xasprintf("did you mean %s?", best->name);
	buf_add(&b, "one of: ", 8);
	for (o = sec->opts; o->name != NULL; o++) {
		if ((o->type == CFGT_SEC) != sections)
			continue;
		if (b.len > 8)
			buf_add(&b, ", ", 2);
		buf_add(&b, o->name, strlen(o->name));
	}
	if (b.len == 8)
		buf_add(&b, "none here", 9);
	return b.p;
}

static const char *
sec_label(cfg_t *sec)
{
	return strcmp(sec->name, "root") == 0 ? "at the top level" : sec->name;
}

static int
title_line(struct ctx *c, const char *title, const char **kind)
{
	static const char *const kinds[] = { "mysql", "sqlite" };
	struct line_rec	*r;
	unsigned int	 i, k;
	cfg_t		*sec;

	for (k = 0; k < nitems(kinds); k++)
		for (i = 0; i < cfg_size(c->cfg, kinds[k]); i++) {
			sec = cfg_getnsec(c->cfg, kinds[k], i);
			if (strcmp(cfg_title(sec), title) == 0) {
				*kind = kinds[k];
				r = line_find(c, sec);
				return r != NULL ? r->line : 0;
			}
		}
	return 0;
}

/* Rewrites libconfuse's message in cairn's "option: problem (expected)". */
static void
on_error(cfg_t *sec, const char *fmt, va_list ap)
{
	char		 msg[512], name[CONF_NAME_MAX + 1] = "";
	char		*s, *e, *exp;
	const char	*kind = "mysql";
	int		 line = sec != NULL ? sec->line : 0, first;
	size_t		 i;

	if (cur == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if ((s = strchr(msg, '\'')) != NULL && (e = strrchr(msg, '\'')) > s)
		snprintf(name, sizeof(name), "%.*s", (int)(e - s - 1), s + 1);

	if (strncmp(msg, "no such option", 14) == 0 && sec != NULL) {
		for (i = 0; i < cur->nheads; i++)
			if (cur->heads[i].line == line &&
			    strcmp(cur->heads[i].text, name) == 0)
				break;
		if (i < cur->nheads) {
			exp = expected_names(sec, name, 1);
			ctx_err(cur, line, name, "unknown section %s (%s)",
			    sec_label(sec), exp);
		} else {
			exp = expected_names(sec, name, 0);
			ctx_err(cur, line, name, "unknown option %s%s (%s)",
			    strcmp(sec->name, "root") == 0 ? "" : "in ",
			    sec_label(sec), exp);
		}
		free(exp);
	} else if (strncmp(msg, "found duplicate title", 21) == 0) {
		first = title_line(cur, name, &kind);
		ctx_err(cur, line, kind, "job name \"%s\" is used twice (a "
		    "unique name per job; the first %s %s is at line %d)",
		    name, kind, name, first);
	} else if (strncmp(msg, "missing title", 13) == 0) {
		ctx_err(cur, line, name, "section without a job name "
		    "(%s NAME { ... })", name);
	} else if (strncmp(msg, "missing equal sign", 18) == 0) {
		ctx_err(cur, line, name, "missing = (%s = value)", name);
	} else if (strncmp(msg, "missing opening brace", 21) == 0) {
		ctx_err(cur, line, name, "missing { (%s { ... })", name);
	} else if (strncmp(msg, "attempt to append", 17) == 0) {
		ctx_err(cur, line, name, "+= on an option that is not a list "
		    "(%s = value)", name);
	} else if (strncmp(msg, "unexpected token", 16) == 0) {
		ctx_err(cur, line, "syntax error", "unexpected \"%s\" (option "
		    "= value, or a section: name { ... })", name);
	} else if (strncmp(msg, "premature end", 13) == 0) {
		ctx_err(cur, line, "syntax error", "unexpected end of file "
		    "(a } for every {)");
	} else if (strncmp(msg, "unexpected closing brace", 24) == 0) {
		ctx_err(cur, line, "syntax error", "} without a matching { "
		    "(a } for every {)");
	} else
		ctx_err(cur, line, "syntax error", "%s (see cairn.conf(5))",
		    msg);
}

/* Reading typed values.  Each returns the line the value was set on, 0 if
 * the option is not set (the output is left alone), -1 after an error. */
static const char *
opt_str(cfg_t *sec, const char *name)
{
	if (sec == NULL || cfg_size(sec, name) == 0)
		return NULL;
	return cfg_getstr(sec, name);
}

static int
sec_line(struct ctx *c, cfg_t *sec)
{
	struct line_rec	*r;

	if (sec == NULL)
		return 0;
	r = line_find(c, sec);
	return r != NULL ? r->line : 0;
}

static int
opt_line(struct ctx *c, cfg_t *sec, const char *name)
{
	struct line_rec	*r;

	if ((r = line_find(c, cfg_getopt(sec, name))) != NULL)
		return r->line;
	return sec_line(c, sec);
}

static int
get_int(struct ctx *c, cfg_t *sec, const char *name, long min, long max,
    const char *unit, int *out)
{
	const char	*s = opt_str(sec, name);
	char		*end;
	long		 v;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || isspace((unsigned char)*s) || *end != '\0' ||
	    errno == ERANGE) {
		ctx_err(c, line, name, "\"%s\" is not a whole number (%s from "
		    "%ld to %ld)", s, unit, min, max);
		return -1;
	}
	if (v < min || v > max) {
		ctx_err(c, line, name, "%ld is out of range (%s from %ld to "
		    "%ld)", v, unit, min, max);
		return -1;
	}
	*out = (int)v;
	return line;
}

/*
 * A whole number with an optional one-letter unit from units (mult[i] for
 * units[i]); the result must lie in [min, max].
 */
static int
get_scaled(struct ctx *c, cfg_t *sec, const char *name, const char *units,
    const int64_t *mult, int64_t min, int64_t max, const char *expect,
    int64_t *out)
{
	const char	*s = opt_str(sec, name), *u;
	char		*end;
	long long	 v;
	int64_t		 m = 1;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s && *end != '\0' && end[1] == '\0' &&
	    (u = strchr(units, *end)) != NULL) {
		m = mult[u - units];
		end++;
	}
	if (*s == '\0' || !isdigit((unsigned char)*s) || *end != '\0' ||
	    errno == ERANGE || v > max / m) {
		ctx_err(c, line, name, "\"%s\" is not %s (%s, at most %lld "
		    "seconds or bytes)", s, errno == ERANGE || (*end == '\0' &&
		    isdigit((unsigned char)*s)) ? "in range" : "a valid value",
		    expect, (long long)max);
		return -1;
	}
	if (v * m < min) {
		ctx_err(c, line, name, "%s is out of range (%s, at least %lld)",
		    s, expect, (long long)min);
		return -1;
	}
	*out = v * m;
	return line;
}

static const int64_t dur_mult[] = { 1, 60, 3600, 86400, 604800 };
static const int64_t size_mult[] = {
	1024, 1024LL * 1024, 1024LL * 1024 * 1024,
	1024LL * 1024 * 1024 * 1024,
	1024, 1024LL * 1024, 1024LL * 1024 * 1024,
	1024LL * 1024 * 1024 * 1024,
};

static int
get_duration(struct ctx *c, cfg_t *sec, const char *name, int64_t max,
    int *out)
{
	int64_t	 v;
	int	 line;

	if ((line = get_scaled(c, sec, name, "smhdw", dur_mult, 0, max,
	    EXPECT_DURATION, &v)) > 0)
		*out = (int)v;
	return line;
}

static int
get_bool(struct ctx *c, cfg_t *sec, const char *name, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const char	*s = opt_str(sec, name);
	size_t		 i;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return line;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return line;
		}
	}
	ctx_err(c, line, name, "\"%s\" is not a boolean (true or false)", s);
	return -1;
}

static int
get_enum(struct ctx *c, cfg_t *sec, const char *name,
    const char *const *names, const char *expect, int *out)
{
	const char	*s = opt_str(sec, name);
	int		 i, line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return line;
		}
	ctx_err(c, line, name, "\"%s\" is not %s", s, expect);
	return -1;
}

static bool
has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* A string without control characters; empty only if empty_ok. */
static int
get_str(struct ctx *c, cfg_t *sec, const char *name, bool empty_ok,
    const char *expect, char **out)
{
	const char	*s = opt_str(sec, name);
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	if (*s == '\0' && !empty_ok) {
		ctx_err(c, line, name, "empty value (%s)", expect);
		return -1;
	}
	if (has_ctrl(s)) {
		ctx_err(c, line, name, "value contains a control character "
		    "(%s)", expect);
		return -1;
	}
	free(*out);
	*out = xstrdup(s);
	return line;
}

/* An absolute path (or "" if empty_ok), trailing slashes removed. */
static int
get_path(struct ctx *c, cfg_t *sec, const char *name, bool empty_ok,
    char **out)
{
	const char	*s = opt_str(sec, name);
	size_t		 n;
	int		 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	if (*s == '\0' && empty_ok) {
		free(*out);
		*out = xstrdup("");
		return line;
	}
	if (*s == '\0') {
		ctx_err(c, line, name, "empty path (%s)", EXPECT_PATH);
		return -1;
	}
	if (*s != '/') {
		ctx_err(c, line, name, "\"%s\" is a relative path (%s)", s,
		    EXPECT_PATH);
		return -1;
	}
	if (has_ctrl(s)) {
		ctx_err(c, line, name, "path contains a control character "
		    "(%s)", EXPECT_PATH);
		return -1;
	}
	if (strlen(s) >= PATH_MAX) {
		ctx_err(c, line, name, "path is too long (at most %d bytes)",
		    PATH_MAX - 1);
		return -1;
	}
	free(*out);
	*out = xstrdup(s);
	for (n = strlen(*out); n > 1 && (*out)[n - 1] == '/'; n--)
		(*out)[n - 1] = '\0';
	return line;
}

/* A file cairnd must be able to read at start-up (secrets, TLS files). */
static int
get_readable(struct ctx *c, cfg_t *sec, const char *name, const char *what,
    char **out)
{
	struct stat	 st;
	int		 line, fd;

	if ((line = get_path(c, sec, name, false, out)) <= 0)
		return line;
	if (c->held != NULL && c->held(*out, c->held_arg))
		return line;
	fd = open(*out, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		ctx_err(c, line, name, "%s: %s (%s)", *out, strerror(errno),
		    what);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		ctx_err(c, line, name, "%s: not a regular file (%s)", *out,
		    what);
		close(fd);
		return -1;
	}
	close(fd);
	return line;
}

static int
get_cron(struct ctx *c, cfg_t *sec, const char *name, char **str,
    struct cron_expr *ce)
{
	const char		*s = opt_str(sec, name);
	struct cron_expr	 tmp;
	char			 err[256];
	int			 line;

	if (s == NULL)
		return 0;
	line = opt_line(c, sec, name);
	if (cron_parse(&tmp, s, err, sizeof(err)) == -1) {
		ctx_err(c, line, name, "\"%s\": %s (%s)", s, err, EXPECT_CRON);
		return -1;
	}
	free(*str);
	*str = xstrdup(s);
	*ce = tmp;
	return line;
}

static void
list_free(char **l)
{
	size_t	 i;

	for (i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

static char **
list_dup(char *const *l)
{
	char	**d;
	size_t	 n = 0;

	if (l == NULL)
		return NULL;
	while (l[n] != NULL)
		n++;
	d = xcalloc(n + 1, sizeof(*d));
	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(l[i]);
	return d;
}

static bool
list_has(char *const *l, const char *s)
{
	for (; l != NULL && *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* The default schedules are constants: parsing them cannot fail unless
 * cron.c and this file disagree, which the unit tests catch. */
static void
default_cron(struct ctx *c, const char *expr, char **str,
    struct cron_expr *ce)
{
	char	 err[256];

	*str = xstrdup(expr);
	if (cron_parse(ce, expr, err, sizeof(err)) == -1)
		ctx_err(c, 0, "schedule", "built-in default \"%s\": %s (%s)",
		    expr, err, EXPECT_CRON);
}

static void
db_defaults(struct db_conn *db)
{
	memset(db, 0, sizeof(*db));
	db->port = 3306;
	db->ssl_mode = SSL_MODE_PREFERRED;
	db->connect_timeout = 10;
	db->read_timeout = 300;
}

static void
db_free(struct db_conn *db)
{
	free(db->host);
	free(db->socket);
	free(db->user);
	free(db->password_file);
	free(db->ssl_ca);
	free(db->ssl_cert);
	free(db->ssl_key);
}

#define PASSWORD_FILE_EXPECT \
	"a file cairnd can read at start-up, holding the password"

/* Connection options of a mysql job (full) or of the restore target. */
static void
db_build(struct ctx *c, cfg_t *sec, struct db_conn *db, bool full)
{
	int	 v;

	get_str(c, sec, "host", false, "a host name or address", &db->host);
	if (db->host != NULL && strpbrk(db->host, " /") != NULL)
		ctx_err(c, opt_line(c, sec, "host"), "host", "\"%s\" is not a "
		    "host name (a host name or address; a unix socket goes "
		    "in socket)", db->host);
	get_int(c, sec, "port", 1, 65535, "a TCP port", &db->port);
	if (get_path(c, sec, "socket", false, &db->socket) > 0 &&
	    strlen(db->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		ctx_err(c, opt_line(c, sec, "socket"), "socket", "path is too "
		    "long (a unix socket path of at most %zu bytes)",
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	get_str(c, sec, "user", false, "a MySQL user name", &db->user);
	get_readable(c, sec, "password_file", PASSWORD_FILE_EXPECT,
	    &db->password_file);
	if (get_enum(c, sec, "ssl_mode", ssl_names, "an ssl_mode (disabled, "
	    "preferred, required, verify_ca or verify_identity)", &v) > 0)
		db->ssl_mode = v;
	if (!full)
		return;
	get_readable(c, sec, "ssl_ca", "a readable CA certificate file",
	    &db->ssl_ca);
	get_readable(c, sec, "ssl_cert", "a readable certificate file",
	    &db->ssl_cert);
	get_readable(c, sec, "ssl_key", "a private key file cairnd can read "
	    "at start-up", &db->ssl_key);
	get_int(c, sec, "connect_timeout", 1, 3600, "a number of seconds",
	    &db->connect_timeout);
	get_int(c, sec, "read_timeout", 1, 86400, "a number of seconds",
	    &db->read_timeout);
}

static void
job_free_fields(struct job_conf *j)
{
	free(j->name);
	free(j->schedule);
	free(j->path);
	db_free(&j->db);
	list_free(j->databases);
	list_free(j->exclude_tables);
	list_free(j->age_recipients);
	free(j->age_recipients_file);
	free(j->age_identity_file);
	list_free(j->notify);
	free(j->upload);
}

/* ---- age encryption keys (docs/encryption.md) ---- */

#define AGE_RECIPIENT_EXPECT \
	"an age X25519 recipient \"age1...\", as age-keygen prints"
#define AGE_IDENTITY_EXPECT \
	"an age identity file cairnd can read at start-up, as age-keygen " \
	"writes it"

static void
age_list_add(char ***l, size_t *n, const char *s)
{
	*l = xreallocarray(*l, *n + 2, sizeof(**l));
	(*l)[(*n)++] = xstrdup(s);
	(*l)[*n] = NULL;
}

/* The recipients of a file, one a line, '#' comments; errors FILE:LINE. */
static void
age_recipients_read(struct ctx *c, int line, const char *path, char ***l,
    size_t *n)
{
	FILE		*fp;
	char		 buf[512], why[160];
	unsigned char	 pk[AGE_KEY_LEN];
	size_t		 lineno = 0, len, before = *n;

	if ((fp = fopen(path, "re")) == NULL) {
		ctx_err(c, line, "age_recipients_file", "%s: %s (%s)", path,
		    strerror(errno), "a readable file of age recipients, one "
		    "a line");
		return;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		lineno++;
		len = strcspn(buf, "\r\n");
		buf[len] = '\0';
		while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
			buf[--len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		if (age_recipient_parse(buf, pk, why, sizeof(why)) == -1)
			ctx_err(c, line, "age_recipients_file", "%s:%zu: %s "
			    "(%s)", path, lineno, why, AGE_RECIPIENT_EXPECT);
		else
			age_list_add(l, n, buf);
	}
	fclose(fp);
	if (*n == before)
		ctx_err(c, line, "age_recipients_file", "%s: no recipient in "
		    "the file (%s, one a line)", path, AGE_RECIPIENT_EXPECT);
}

/* An identity file parses; its content is wiped, never reported. */
static void
age_identity_check(struct ctx *c, int line, const char *path)
{
	struct age_identity	*ids;
	char			 buf[8192], why[160];
	ssize_t			 r;
	int			 fd, n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;		/* get_readable() said why */
	r = util_read_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0 || r == (ssize_t)sizeof(buf) - 1) {
		ctx_err(c, line, "age_identity_file", "%s: cannot read it, or "
		    "larger than %zu bytes (%s)", path, sizeof(buf) - 2,
		    AGE_IDENTITY_EXPECT);
		explicit_bzero(buf, sizeof(buf));
		return;
	}
	buf[r] = '\0';
	n = age_identities_parse(buf, &ids, why, sizeof(why));
	explicit_bzero(buf, sizeof(buf));
	if (n < 0)
		ctx_err(c, line, "age_identity_file", "%s: %s (%s)", path, why,
		    AGE_IDENTITY_EXPECT);
	else
		age_identities_free(ids, (size_t)n);
}

/*
 * age_recipients, age_recipients_file: a section that sets either has
 * exactly the recipients it names (the list and the file's keys, each one
 * checked); one that sets neither keeps those from defaults.
 * age_identity_file: checked that it parses.
 */
static void
job_age(struct ctx *c, cfg_t *sec, struct job_conf *j)
{
	unsigned char	 pk[AGE_KEY_LEN];
	char		 why[160];
	char		**l = NULL;
	size_t		 n = 0, cnt;
	int		 line;

	if (get_readable(c, sec, "age_identity_file", AGE_IDENTITY_EXPECT,
	    &j->age_identity_file) > 0)
		age_identity_check(c, opt_line(c, sec, "age_identity_file"),
		    j->age_identity_file);
	cnt = sec != NULL ? cfg_size(sec, "age_recipients") : 0;
	if (cnt == 0 && opt_str(sec, "age_recipients_file") == NULL)
		return;
	l = xcalloc(1, sizeof(*l));
	line = opt_line(c, sec, "age_recipients");
	for (size_t i = 0; i < cnt; i++) {
		const char	*s = cfg_getnstr(sec, "age_recipients", i);

		if (age_recipient_parse(s, pk, why, sizeof(why)) == -1)
			ctx_err(c, line, "age_recipients", "\"%.80s\": %s (%s)",
			    s, why, AGE_RECIPIENT_EXPECT);
		else
			age_list_add(&l, &n, s);
	}
	free(j->age_recipients_file);
	j->age_recipients_file = NULL;
	if ((line = get_path(c, sec, "age_recipients_file", false,
	    &j->age_recipients_file)) > 0)
		age_recipients_read(c, line, j->age_recipients_file, &l, &n);
	list_free(j->age_recipients);
	j->age_recipients = l;
}

/* The alert options of a job or of `defaults` (docs/alerts.md). */
static void
job_alerts(struct ctx *c, cfg_t *sec, struct job_conf *j)
{
	unsigned int	 i, n;
	const char	*s;
	int		 line;

	get_duration(c, sec, "stale_after", 366LL * 86400, &j->stale_after);
	get_int(c, sec, "size_drop", 0, 100, "a percentage of the previous "
	    "verified artifact, 0 for off", &j->size_drop);
	get_scaled(c, sec, "min_size", "KMGTkmgt", size_mult, 0,
	    INT64_MAX / 2, EXPECT_SIZE, &j->min_size);
	get_duration(c, sec, "repeat_interval", 366LL * 86400,
	    &j->repeat_interval);
	if (sec == NULL || line_find(c, cfg_getopt(sec, "notify")) == NULL)
		return;
	line = opt_line(c, sec, "notify");
	n = cfg_size(sec, "notify");
	list_free(j->notify);
	j->notify = xcalloc(n + 1, sizeof(*j->notify));
	for (i = 0; i < n; i++) {
		s = cfg_getnstr(sec, "notify", i);
		if (list_has(j->notify, s))
			ctx_err(c, line, "notify", "\"%s\" is listed twice "
			    "(each notifier once)", s);
		j->notify[i] = xstrdup(s);
	}
}

/* Where a job's compression settings came from, to check them together. */
struct comp_src {
	int	 comp_line;
	int	 level_line;
};

static void
job_common(struct ctx *c, cfg_t *sec, struct job_conf *j, struct comp_src *cs)
{
	int	 v, line;

	get_cron(c, sec, "schedule", &j->schedule, &j->cron);
	get_bool(c, sec, "run_at_start", &j->run_at_start);
	get_int(c, sec, "retries", 0, 100, "a number of retries", &j->retries);
	if ((line = get_enum(c, sec, "compression", compress_names,
	    "a compression (gzip, zstd or none)", &v)) > 0) {
		j->compression = v;
		cs->comp_line = line;
	} else if (line < 0)
		cs->comp_line = -1;
	if ((line = get_int(c, sec, "compression_level", 1, 19,
	    "a compression level", &j->compression_level)) != 0)
		cs->level_line = line;
	get_int(c, sec, "compression_threads", 0, 256,
	    "a number of threads, 0 for one per CPU",
	    &j->compression_threads);
	job_age(c, sec, j);
	job_alerts(c, sec, j);
	/* "" turns a default upload off for one job */
	get_str(c, sec, "upload", true, "the name of an s3 section, or \"\" "
	    "for none", &j->upload);
}

/* Checks the level against the compression once both are known. */
static void
job_check_level(struct ctx *c, const struct job_conf *j,
    const struct comp_src *cs)
{
	int	 line;

	if (cs->comp_line < 0 || cs->level_line < 0 ||
	    j->compression != COMPRESS_GZIP || j->compression_level <= 12)
		return;
	line = cs->level_line > 0 ? cs->level_line : cs->comp_line;
	ctx_err(c, line, "compression_level", "%d is out of range for gzip "
	    "(a compression level from 1 to 12 for gzip, 1 to 19 for zstd)",
	    j->compression_level);
}

/* Names that would clash with cairnctl's "all" or with the files cairnd
 * keeps next to the job folders in backup_dir. */
static bool
job_name_reserved(const char *n)
{
	static const char *const prefixes[] = {
		"catalog.db", "audit.log", "backup.log",
	};
	size_t	 i;

	if (strcmp(n, "all") == 0)
		return true;
	for (i = 0; i < nitems(prefixes); i++)
		if (strncmp(n, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static bool
db_name_ok(const char *s)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= 64 && !has_ctrl(s) &&
	    strpbrk(s, "/\\.") == NULL && s[len - 1] != ' ';
}

static void
job_mysql(struct ctx *c, cfg_t *sec, struct job_conf *j)
{
	char		*dot;
	unsigned int	 i, n;
	const char	*s;
	int		 line;

	db_build(c, sec, &j->db, true);
	n = cfg_size(sec, "databases");
	list_free(j->databases);
	j->databases = xcalloc(n + 1, sizeof(*j->databases));
	line = opt_line(c, sec, "databases");
	for (i = 0; i < n; i++) {
		s = cfg_getnstr(sec, "databases", i);
		if (!db_name_ok(s))
			ctx_err(c, line, "databases", "\"%s\" is not a database "
			    "name (1 to 64 characters, without / \\ or .)", s);
		else if (list_has(j->databases, s))
			ctx_err(c, line, "databases", "\"%s\" is listed twice "
			    "(each database once)", s);
		j->databases[i] = xstrdup(s);
	}
	n = cfg_size(sec, "exclude_tables");
	list_free(j->exclude_tables);
	j->exclude_tables = xcalloc(n + 1, sizeof(*j->exclude_tables));
	line = opt_line(c, sec, "exclude_tables");
	for (i = 0; i < n; i++) {
		s = cfg_getnstr(sec, "exclude_tables", i);
		j->exclude_tables[i] = xstrdup(s);
		dot = strchr(j->exclude_tables[i], '.');
		if (dot == NULL || dot == j->exclude_tables[i] ||
		    dot[1] == '\0' || has_ctrl(s)) {
			ctx_err(c, line, "exclude_tables", "\"%s\" is not a "
			    "table (\"database.table\")", s);
			continue;
		}
		*dot = '\0';
		if (j->databases[0] != NULL &&
		    !list_has(j->databases, j->exclude_tables[i]))
			ctx_err(c, line, "exclude_tables", "\"%s\": database "
			    "%s is not in databases (a table of a database "
			    "this job dumps)", s, j->exclude_tables[i]);
		*dot = '.';
	}
	get_int(c, sec, "lock_wait_timeout", 1, 31536000,
	    "a number of seconds", &j->lock_wait_timeout);
	get_int(c, sec, "connect_retry", 0, 86400, "a number of seconds",
	    &j->connect_retry);
	get_bool(c, sec, "checksum", &j->checksum);
	if (opt_str(sec, "host") == NULL && opt_str(sec, "socket") == NULL)
		ctx_err(c, j->line, "mysql", "job %s has neither host nor "
		    "socket (host = \"NAME\" for TCP, or socket = \"/PATH\" "
		    "for a local server)", j->name);
	else if (opt_str(sec, "host") != NULL &&
	    opt_str(sec, "socket") != NULL)
		ctx_err(c, opt_line(c, sec, "socket"), "socket", "job %s has "
		    "both host and socket (one of them: host for TCP, socket "
		    "for a local server)", j->name);
}

static void
job_build(struct ctx *c, cfg_t *sec, enum job_kind kind,
    const struct job_conf *tmpl, struct job_conf *j)
{
	struct comp_src	 cs = { 0, 0 };
	const char	*kname = conf_kind_name(kind);

	*j = *tmpl;
	j->schedule = xstrdup(tmpl->schedule);
	j->age_recipients = list_dup(tmpl->age_recipients);
	j->age_recipients_file = tmpl->age_recipients_file != NULL ?
	    xstrdup(tmpl->age_recipients_file) : NULL;
	j->age_identity_file = tmpl->age_identity_file != NULL ?
	    xstrdup(tmpl->age_identity_file) : NULL;
	j->notify = list_dup(tmpl->notify);
	j->upload = tmpl->upload != NULL ? xstrdup(tmpl->upload) : NULL;
	j->name = xstrdup(cfg_title(sec));
	j->kind = kind;
	j->line = sec_line(c, sec);
	db_defaults(&j->db);
	j->databases = xcalloc(1, sizeof(*j->databases));
	j->exclude_tables = xcalloc(1, sizeof(*j->exclude_tables));
	j->lock_wait_timeout = 60;
	j->connect_retry = 120;

	if (!conf_job_name_ok(j->name))
		ctx_err(c, j->line, kname, "\"%s\" is not a valid job name (1 "
		    "to %d of A-Z a-z 0-9 _ . -, starting with a letter, a "
		    "digit or _)", j->name, CONF_JOB_NAME_MAX);
	else if (job_name_reserved(j->name))
		ctx_err(c, j->line, kname, "\"%s\" is a reserved name (any "
		    "name but all, catalog.db*, audit.log*, backup.log*)",
		    j->name);
	job_common(c, sec, j, &cs);
	if (cs.comp_line != 0 || cs.level_line != 0)
		job_check_level(c, j, &cs);
	if (kind == JOB_SQLITE) {
		get_path(c, sec, "path", false, &j->path);
		if (opt_str(sec, "path") == NULL)
			ctx_err(c, j->line, "sqlite", "job %s has no path (path "
			    "= \"/absolute/path/to/database.db\")", j->name);
	} else
		job_mysql(c, sec, j);
}

static int
job_line_cmp(const void *a, const void *b)
{
	const struct job_conf	*x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

static void
jobs_build(struct ctx *c, struct conf *cf)
{
	static const struct { const char *sec; enum job_kind kind; } kinds[] = {
		{ "mysql", JOB_MYSQL }, { "sqlite", JOB_SQLITE },
	};
	struct job_conf	 tmpl;
	struct comp_src	 cs = { 0, 0 };
	cfg_t		*dsec = cfg_getsec(c->cfg, "defaults");
	unsigned int	 i, k, n = 0;
	size_t		 a, b;

	memset(&tmpl, 0, sizeof(tmpl));
	default_cron(c, DEF_SCHEDULE, &tmpl.schedule, &tmpl.cron);
	tmpl.run_at_start = true;
	tmpl.retries = 3;
	tmpl.compression = COMPRESS_GZIP;
	tmpl.compression_level = 6;
	tmpl.compression_threads = 0;
	tmpl.stale_after = -1;
	tmpl.size_drop = 50;
	tmpl.repeat_interval = 86400;
	tmpl.notify = xcalloc(1, sizeof(*tmpl.notify));
	job_common(c, dsec, &tmpl, &cs);
	job_check_level(c, &tmpl, &cs);

	for (k = 0; k < nitems(kinds); k++)
		n += cfg_size(c->cfg, kinds[k].sec);
	cf->jobs = xcalloc(n + 1, sizeof(*cf->jobs));
	for (k = 0; k < nitems(kinds); k++)
		for (i = 0; i < cfg_size(c->cfg, kinds[k].sec); i++)
			job_build(c, cfg_getnsec(c->cfg, kinds[k].sec, i),
			    kinds[k].kind, &tmpl, &cf->jobs[cf->njobs++]);
	qsort(cf->jobs, cf->njobs, sizeof(*cf->jobs), job_line_cmp);
	for (b = 1; b < cf->njobs; b++)
		for (a = 0; a < b; a++)
			if (strcmp(cf->jobs[a].name, cf->jobs[b].name) == 0) {
				ctx_err(c, cf->jobs[b].line,
				    conf_kind_name(cf->jobs[b].kind),
				    "job name \"%s\" is already used by the %s "
				    "job at line %d (a unique name per job)",
				    cf->jobs[b].name,
				    conf_kind_name(cf->jobs[a].kind),
				    cf->jobs[a].line);
				break;
			}
	free(tmpl.schedule);
	free(tmpl.upload);
	list_free(tmpl.age_recipients);
	free(tmpl.age_recipients_file);
	free(tmpl.age_identity_file);
	list_free(tmpl.notify);
	for (a = 0; a < cf->njobs; a++)
		for (i = 0; cf->jobs[a].notify[i] != NULL; i++)
			if (conf_notify_find(cf, cf->jobs[a].notify[i]) == NULL)
				ctx_err(c, cf->jobs[a].line, "notify", "job %s: "
				    "\"%s\" is not a notifier (the name of a "
				    "notify section)", cf->jobs[a].name,
				    cf->jobs[a].notify[i]);
}

static void
notify_free_fields(struct notify_conf *n)
{
	free(n->name);
	free(n->url);
	free(n->headers_file);
	list_free(n->command);
}

static void
notify_build_one(struct ctx *c, cfg_t *sec, struct notify_conf *n)
{
	static const char *const types[] = { "webhook", "command", NULL };
	unsigned int	 i, k;
	int		 v, line;

	n->name = xstrdup(cfg_title(sec));
	n->line = sec_line(c, sec);
	n->timeout = 10;
	n->retries = 5;
	if (!conf_job_name_ok(n->name))
		ctx_err(c, n->line, "notify", "\"%s\" is not a valid notifier "
		    "name (1 to %d of A-Z a-z 0-9 _ . -)", n->name,
		    CONF_NAME_MAX);
	if (get_enum(c, sec, "type", types, "a notifier type (webhook or "
	    "command)", &v) > 0)
		n->type = v;
	else if (opt_str(sec, "type") == NULL)
		ctx_err(c, n->line, "notify", "notifier %s has no type (type = "
		    "webhook or type = command)", n->name);
	get_int(c, sec, "timeout", 1, 3600, "a number of seconds",
	    &n->timeout);
	get_int(c, sec, "retries", 0, 100, "a number of retries",
	    &n->retries);
	get_str(c, sec, "url", false, "an http:// or https:// URL", &n->url);
	get_readable(c, sec, "headers_file", "a file of \"Name: value\" "
	    "lines cairnd can read", &n->headers_file);
	k = cfg_size(sec, "command");
	n->command = xcalloc(k + 1, sizeof(*n->command));
	for (i = 0; i < k; i++)
		n->command[i] = xstrdup(cfg_getnstr(sec, "command", i));
	line = opt_line(c, sec, "command");
	if (n->type == NOTIFY_WEBHOOK) {
		if (n->url == NULL)
			ctx_err(c, n->line, "notify", "webhook %s has no url "
			    "(url = \"https://host/path\")", n->name);
		else if (strncmp(n->url, "http://", 7) != 0 &&
		    strncmp(n->url, "https://", 8) != 0)
			ctx_err(c, opt_line(c, sec, "url"), "url", "\"%s\" is "
			    "not an http:// or https:// URL", n->url);
		if (k > 0)
			ctx_err(c, line, "command", "a webhook runs no command "
			    "(command goes with type = command)");
	} else {
		if (k == 0)
			ctx_err(c, n->line, "notify", "command notifier %s has "
			    "no command (command = { \"/path/to/program\", "
			    "\"arg\" })", n->name);
		else if (n->command[0][0] != '/')
			ctx_err(c, line, "command", "\"%s\" is a relative path "
			    "(%s)", n->command[0], EXPECT_PATH);
		for (i = 0; i < k; i++)
			if (has_ctrl(n->command[i]))
				ctx_err(c, line, "command", "argument %u contains "
				    "a control character (plain text)", i);
		if (n->url != NULL || n->headers_file != NULL)
			ctx_err(c, n->line, "notify", "command notifier %s "
			    "takes no url or headers_file (they go with type = "
			    "webhook)", n->name);
	}
}

/* The notify sections, and the global alert limits. */
static void
notifiers_build(struct ctx *c, struct conf *cf)
{
	unsigned int	 i, n = cfg_size(c->cfg, "notify");
	size_t		 a;

	cf->alert_rate_limit = 60;
	cf->alert_queue = 100;
	get_int(c, c->cfg, "alert_rate_limit", 0, 100000, "a number of alerts "
	    "per hour, 0 for no limit", &cf->alert_rate_limit);
	get_int(c, c->cfg, "alert_queue", 1, 100000, "a number of alerts",
	    &cf->alert_queue);
	cf->notifiers = xcalloc(n + 1, sizeof(*cf->notifiers));
	for (i = 0; i < n; i++) {
		notify_build_one(c, cfg_getnsec(c->cfg, "notify", i),
		    &cf->notifiers[cf->nnotifiers]);
		for (a = 0; a < cf->nnotifiers; a++)
			if (strcmp(cf->notifiers[a].name,
			    cf->notifiers[cf->nnotifiers].name) == 0)
				ctx_err(c, cf->notifiers[cf->nnotifiers].line,
				    "notify", "notifier name \"%s\" is already "
				    "used at line %d (a unique name per "
				    "notifier)", cf->notifiers[a].name,
				    cf->notifiers[a].line);
		cf->nnotifiers++;
	}
}

static void
retention_build(struct ctx *c, struct conf *cf)
{
	struct retention_conf	*r = &cf->retention;
	cfg_t			*sec = cfg_getsec(c->cfg, "retention");
	const char		*env;
	char			*end;
	long			 v;

	r->days = 7;
	r->keep_min = 1;
	default_cron(c, DEF_PRUNE_SCHEDULE, &r->schedule, &r->cron);
	get_int(c, sec, "days", 1, 36500, "a number of days", &r->days);
	get_int(c, sec, "keep_min", 0, 100000, "a number of backups",
	    &r->keep_min);
	get_int(c, sec, "keep_daily", 0, 100000, "a number of days, 0 for "
	    "none", &r->keep_daily);
	get_int(c, sec, "keep_weekly", 0, 100000, "a number of weeks, 0 for "
	    "none", &r->keep_weekly);
	get_int(c, sec, "keep_monthly", 0, 100000, "a number of months, 0 "
	    "for none", &r->keep_monthly);
	get_cron(c, sec, "schedule", &r->schedule, &r->cron);

	/* the variable the replaced cron job used; it wins when valid */
	if ((env = getenv("BACKUP_RETENTION_DAYS")) == NULL)
		return;
	errno = 0;
	v = strtol(env, &end, 10);
	if (*env == '\0' || isspace((unsigned char)*env) || *end != '\0' ||
	    errno == ERANGE || v < 1 || v > 36500) {
		ctx_warn(c, 0, "BACKUP_RETENTION_DAYS", "\"%s\" is not a "
		    "number of days from 1 to 36500; ignored, days = %d",
		    env, r->days);
		return;
	}
	r->days = (int)v;
}

static bool
same_server(const struct db_conn *a, const struct db_conn *b)
{
	if (a->socket != NULL || b->socket != NULL)
		return a->socket != NULL && b->socket != NULL &&
		    strcmp(a->socket, b->socket) == 0;
	return a->host != NULL && b->host != NULL &&
	    strcasecmp(a->host, b->host) == 0 && a->port == b->port;
}

/* -- s3 remotes -------------------------------------------------------- */

static void
s3_free_fields(struct s3_conf *r)
{
	free(r->name);
	free(r->endpoint);
	free(r->region);
	free(r->bucket);
	free(r->prefix);
	free(r->access_key_file);
	free(r->secret_key_file);
	free(r->storage_class);
}

/* S3 bucket naming: 3-63 of a-z 0-9 . -, a letter or digit at each end. */
static bool
s3_bucket_ok(const char *b)
{
	size_t	 n = strlen(b);

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) ||
	    !isalnum((unsigned char)b[n - 1]))
		return false;
	for (; *b != '\0'; b++)
		if (!(islower((unsigned char)*b) || isdigit((unsigned char)*b) ||
		    *b == '.' || *b == '-'))
			return false;
	return true;
}

static void
s3_required(struct ctx *c, struct s3_conf *r, const char *opt,
    const char *val, const char *expect)
{
	if (val == NULL)
		ctx_err(c, r->line, "s3", "remote %s has no %s (%s)", r->name,
		    opt, expect);
}

static void
s3_build_one(struct ctx *c, cfg_t *sec, struct s3_conf *r)
{
	cfg_t		*rsec = cfg_getsec(sec, "retention");
	const char	*s;
	int		 line;

	r->name = xstrdup(cfg_title(sec));
	r->line = sec_line(c, sec);
	r->region = xstrdup("us-east-1");
	r->prefix = xstrdup("");
	r->part_size_mib = 8;
	r->concurrency = 4;
	r->retention_keep_min = 1;
	if (!conf_job_name_ok(r->name))
		ctx_err(c, r->line, "s3", "\"%s\" is not a valid remote name "
		    "(1 to %d of A-Z a-z 0-9 _ . -)", r->name, CONF_NAME_MAX);
	if ((line = get_str(c, sec, "endpoint", false, "a URL: http://HOST"
	    "[:PORT] or https://HOST[:PORT]", &r->endpoint)) > 0 &&
	    ((strncmp(r->endpoint, "https://", 8) != 0 &&
	    strncmp(r->endpoint, "http://", 7) != 0) ||
	    strchr(r->endpoint, ' ') != NULL ||
	    strchr(strstr(r->endpoint, "//") + 2, '/') != NULL ||
	    strstr(r->endpoint, "//")[2] == '\0'))
		ctx_err(c, line, "endpoint", "\"%s\" is not an endpoint URL "
		    "(http://HOST[:PORT] or https://HOST[:PORT], no path)",
		    r->endpoint);
	if ((line = get_str(c, sec, "region", false, "a region name such as "
	    "eu-central-1", &r->region)) > 0 && strpbrk(r->region,
	    " /:") != NULL)
		ctx_err(c, line, "region", "\"%s\" is not a region name "
		    "(such as eu-central-1)", r->region);
	if ((line = get_str(c, sec, "bucket", false, "a bucket name",
	    &r->bucket)) > 0 && !s3_bucket_ok(r->bucket))
		ctx_err(c, line, "bucket", "\"%s\" is not a bucket name (3 to "
		    "63 of a-z 0-9 . -, starting and ending with a letter or "
		    "digit)", r->bucket);
	if ((line = get_str(c, sec, "prefix", true, "a key prefix such as "
	    "cairn/host1/", &r->prefix)) > 0 && r->prefix[0] != '\0' &&
	    (r->prefix[0] == '/' || r->prefix[strlen(r->prefix) - 1] != '/' ||
	    strstr(r->prefix, "//") != NULL || strlen(r->prefix) > 512))
		ctx_err(c, line, "prefix", "\"%s\" is not a key prefix (empty, "
		    "or up to 512 bytes ending with / and not starting with /, "
		    "e.g. cairn/host1/)", r->prefix);
	get_readable(c, sec, "access_key_file", "a file holding the access "
	    "key id, readable by cairnd at start-up", &r->access_key_file);
	get_readable(c, sec, "secret_key_file", "a file holding the secret "
	    "access key, readable by cairnd at start-up", &r->secret_key_file);
	get_bool(c, sec, "path_style", &r->path_style);
	get_bool(c, sec, "verify_download", &r->verify_download);
	if ((line = get_str(c, sec, "storage_class", false, "an S3 storage "
	    "class such as STANDARD_IA", &r->storage_class)) > 0)
		for (s = r->storage_class; *s != '\0'; s++)
			if (!isupper((unsigned char)*s) && *s != '_') {
				ctx_err(c, line, "storage_class", "\"%s\" is "
				    "not a storage class (A-Z and _, such as "
				    "STANDARD_IA)", r->storage_class);
				break;
			}
	get_int(c, sec, "part_size", 5, 512, "MiB per part", &r->part_size_mib);
	get_int(c, sec, "concurrency", 1, 16, "parts in flight",
	    &r->concurrency);
	get_int(c, sec, "bandwidth_limit", 0, 10485760, "KiB/s, 0 for no "
	    "limit", &r->bandwidth_limit_kib);
	get_int(c, rsec, "days", 1, 36500, "a number of days",
	    &r->retention_days);
	get_int(c, rsec, "keep_min", 1, 100000, "a number of copies, at "
	    "least 1", &r->retention_keep_min);
	s3_required(c, r, "endpoint", r->endpoint, "endpoint = "
	    "\"https://s3.REGION.amazonaws.com\"");
	s3_required(c, r, "bucket", r->bucket, "bucket = \"NAME\"");
	s3_required(c, r, "access_key_file", r->access_key_file,
	    "access_key_file = \"/etc/cairn/s3.access\"");
	s3_required(c, r, "secret_key_file", r->secret_key_file,
	    "secret_key_file = \"/etc/cairn/s3.secret\"");
}

static void
s3_build(struct ctx *c, struct conf *cf)
{
	unsigned int	 n = cfg_size(c->cfg, "s3");
	cfg_t		*dsec = cfg_getsec(c->cfg, "defaults");

	cf->s3 = xcalloc(n + 1, sizeof(*cf->s3));
	for (unsigned int i = 0; i < n; i++)
		s3_build_one(c, cfg_getnsec(c->cfg, "s3", i),
		    &cf->s3[cf->ns3++]);
	/* every upload names a remote; "" means none */
	for (size_t i = 0; i < cf->njobs; i++) {
		struct job_conf	*j = &cf->jobs[i];
		cfg_t		*sec;
		int		 line;

		if (j->upload == NULL)
			continue;
		if (j->upload[0] == '\0') {
			free(j->upload);
			j->upload = NULL;
			continue;
		}
		if (conf_s3_find(cf, j->upload) != NULL)
			continue;
		sec = cfg_gettsec(c->cfg, conf_kind_name(j->kind), j->name);
		line = sec != NULL && opt_str(sec, "upload") != NULL ?
		    opt_line(c, sec, "upload") : opt_line(c, dsec, "upload");
		ctx_err(c, line, "upload", "job %s: no s3 section named \"%s\" "
		    "(the name of an s3 NAME { ... } section, or \"\" for "
		    "none)", j->name, j->upload);
	}
}

static void
verify_build(struct ctx *c, struct conf *cf)
{
	struct verify_conf	*v = &cf->verify;
	cfg_t			*sec = cfg_getsec(c->cfg, "verify");
	cfg_t			*tsec = cfg_getsec(sec, "target");
	const struct job_conf	*j;
	size_t			 i;
	int			 line;

	v->after_backup = true;
	default_cron(c, DEF_VERIFY_SCHEDULE, &v->schedule, &v->cron);
	db_defaults(&v->target);
	get_bool(c, sec, "after_backup", &v->after_backup);
	get_cron(c, sec, "schedule", &v->schedule, &v->cron);
	get_bool(c, sec, "restore_test", &v->restore_test);
	db_build(c, tsec, &v->target, false);
	line = get_str(c, tsec, "database", false, "a scratch database name",
	    &v->target_database);
	if (v->target_database != NULL && !db_name_ok(v->target_database))
		ctx_err(c, line, "database", "\"%s\" is not a database name (1 "
		    "to 64 characters, without / \\ or .)",
		    v->target_database);
	if (!v->restore_test)
		return;
	if (v->target.host == NULL && v->target.socket == NULL)
		ctx_err(c, sec_line(c, tsec) ? sec_line(c, tsec) :
		    opt_line(c, sec, "restore_test"), "target", "restore_test "
		    "needs a server: neither host nor socket is set (target { "
		    "host = \"NAME\" or socket = \"/PATH\" })");
	if (v->target_database == NULL) {
		ctx_err(c, sec_line(c, tsec) ? sec_line(c, tsec) :
		    opt_line(c, sec, "restore_test"), "target", "restore_test "
		    "needs a scratch database (target { database = \"NAME\" })");
		return;
	}
	for (i = 0; i < cf->njobs; i++) {
		j = &cf->jobs[i];
		if (j->kind != JOB_MYSQL || !same_server(&j->db, &v->target))
			continue;
		if (j->databases[0] == NULL)
			ctx_err(c, line, "database", "restore target %s is on "
			    "the server mysql job %s (line %d) dumps whole "
			    "(a scratch database that no job backs up)",
			    v->target_database, j->name, j->line);
		else if (list_has(j->databases, v->target_database))
			ctx_err(c, line, "database", "restore target %s is a "
			    "source of mysql job %s (line %d) (a scratch "
			    "database that no job backs up)",
			    v->target_database, j->name, j->line);
	}
}

static bool
is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void
ids_resolve(struct ctx *c, struct conf *cf)
{
	struct passwd	*pw;
	struct group	*gr;
	cfg_t		*root = c->cfg;
	int		 line;

	cf->uid = (uid_t)-1;
	cf->gid = (gid_t)-1;
	if ((line = get_str(c, root, "user", false, "a user name or uid",
	    &cf->user)) > 0) {
		errno = 0;
		if ((pw = getpwnam(cf->user)) != NULL) {
			cf->uid = pw->pw_uid;
			cf->gid = pw->pw_gid;
		} else if (is_number(cf->user) && strlen(cf->user) < 10) {
			cf->uid = (uid_t)strtoul(cf->user, NULL, 10);
			if ((pw = getpwuid(cf->uid)) != NULL)
				cf->gid = pw->pw_gid;
		} else
			ctx_err(c, line, "user", "\"%s\" does not exist (a user "
			    "in the password database, or a numeric uid)",
			    cf->user);
	}
	if ((line = get_str(c, root, "group", false, "a group name or gid",
	    &cf->group)) > 0) {
		if ((gr = getgrnam(cf->group)) != NULL)
			cf->gid = gr->gr_gid;
		else if (is_number(cf->group) && strlen(cf->group) < 10)
			cf->gid = (gid_t)strtoul(cf->group, NULL, 10);
		else
			ctx_err(c, line, "group", "\"%s\" does not exist (a group "
			    "in the group database, or a numeric gid)",
			    cf->group);
	} else if (cf->user != NULL && cf->uid != (uid_t)-1 &&
	    cf->gid == (gid_t)-1)
		ctx_err(c, opt_line(c, root, "user"), "user", "uid %s has no "
		    "password entry, so no primary group (set group too)",
		    cf->user);
	cf->socket_gid = cf->gid != (gid_t)-1 ? cf->gid : getgid();
	if ((line = get_str(c, root, "socket_group", false,
	    "a group name or gid", &cf->socket_group)) > 0) {
		if ((gr = getgrnam(cf->socket_group)) != NULL)
			cf->socket_gid = gr->gr_gid;
		else if (is_number(cf->socket_group) &&
		    strlen(cf->socket_group) < 10)
			cf->socket_gid = (gid_t)strtoul(cf->socket_group, NULL,
			    10);
		else
			ctx_err(c, line, "socket_group", "\"%s\" does not exist "
			    "(a group in the group database, or a numeric gid)",
			    cf->socket_group);
	}
}

static bool
timezone_ok(const char *tz)
{
	const char	*dir;
	char		*path, magic[4];
	int		 fd;
	ssize_t		 n;

	if (strcmp(tz, "UTC") == 0)
		return true;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL ||
	    has_ctrl(tz))
		return false;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = DEF_ZONEINFO;
	path = xasprintf("%s/%s", dir, tz);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd == -1)
		return false;
	n = util_read_all(fd, magic, sizeof(magic));
	close(fd);
	return n == (ssize_t)sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

static void
globals_build(struct ctx *c, struct conf *cf)
{
	cfg_t		*root = c->cfg;
	const char	*s;
	char		*end;
	long		 mode;
	int		 line, iline, tline;
	char		 why[512];

	ids_resolve(c, cf);
	cf->backup_dir = xstrdup(DEF_BACKUP_DIR);
	if ((line = get_path(c, root, "backup_dir", false,
	    &cf->backup_dir)) > 0 && strcmp(cf->backup_dir, "/") == 0)
		ctx_err(c, line, "backup_dir", "\"/\" is the root directory (a "
		    "folder of its own, such as %s)", DEF_BACKUP_DIR);
	else if (rootfs_check_backup_dir(cf->backup_dir, cf->uid, cf->gid,
	    why, sizeof(why)) == -1)
		ctx_err(c, line > 0 ? line : 0, "backup_dir", "%s", why);
	get_path(c, root, "log_file", true, &cf->log_file);
	if (cf->log_file == NULL)
		cf->log_file = xasprintf("%s/backup.log", cf->backup_dir);
	get_path(c, root, "audit_log", false, &cf->audit_log);
	if (cf->audit_log == NULL)
		cf->audit_log = xasprintf("%s/audit.log", cf->backup_dir);
	cf->control_socket = xstrdup(DEF_CONTROL_SOCKET);
	if ((line = get_path(c, root, "control_socket", false,
	    &cf->control_socket)) > 0 && strlen(cf->control_socket) >=
	    sizeof(((struct sockaddr_un *)0)->sun_path))
		ctx_err(c, line, "control_socket", "path is too long (a unix "
		    "socket path of at most %zu bytes)",
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	get_path(c, root, "metrics_file", false, &cf->metrics_file);

	cf->max_workers = 2;
	cf->heartbeat_interval = 5;
	cf->heartbeat_timeout = 60;
	cf->shutdown_timeout = 30;
	get_int(c, root, "max_workers", 1, 64, "a number of workers",
	    &cf->max_workers);
	iline = get_int(c, root, "heartbeat_interval", 1, 3600,
	    "a number of seconds", &cf->heartbeat_interval);
	tline = get_int(c, root, "heartbeat_timeout", 2, 86400,
	    "a number of seconds", &cf->heartbeat_timeout);
	if (iline >= 0 && tline >= 0 &&
	    cf->heartbeat_timeout <= cf->heartbeat_interval)
		ctx_err(c, tline > 0 ? tline : iline, "heartbeat_timeout",
		    "%d is not more than heartbeat_interval %d (more seconds "
		    "than heartbeat_interval, a few times as many)",
		    cf->heartbeat_timeout, cf->heartbeat_interval);
	get_int(c, root, "shutdown_timeout", 0, 3600, "a number of seconds",
	    &cf->shutdown_timeout);

	cf->timezone = xstrdup("UTC");
	if ((line = get_str(c, root, "timezone", false, "a time zone name",
	    &cf->timezone)) > 0 && !timezone_ok(cf->timezone))
		ctx_err(c, line, "timezone", "\"%s\" is not a known time zone "
		    "(UTC or a name under %s, such as Europe/Berlin)",
		    cf->timezone, getenv("TZDIR") != NULL &&
		    *getenv("TZDIR") != '\0' ? getenv("TZDIR") : DEF_ZONEINFO);

	cf->file_mode = 0600;
	if ((s = opt_str(root, "file_mode")) != NULL) {
		line = opt_line(c, root, "file_mode");
		errno = 0;
		mode = strtol(s, &end, 8);
		if (*s < '0' || *s > '7' || *end != '\0' || errno != 0 ||
		    (mode & ~0640) != 0 || (mode & 0400) == 0)
			ctx_err(c, line, "file_mode", "\"%s\" is not an allowed "
			    "mode for backups (octal 0600, 0640, 0400 or 0440: "
			    "readable by the owner, never by others)", s);
		else
			cf->file_mode = (int)mode;
	}
}

static char *
read_file(struct ctx *c, const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*p;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		ctx_err(c, 0, "cannot open", "%s (a readable configuration "
		    "file)", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONF_MAX_BYTES) {
		ctx_err(c, 0, "cannot read", "%s (a regular file of at most "
		    "%d bytes)", S_ISREG(st.st_mode) ? "file is too large" :
		    "not a regular file", CONF_MAX_BYTES);
		close(fd);
		return NULL;
	}
	p = xmalloc((size_t)st.st_size + 1);
	if ((n = util_read_all(fd, p, (size_t)st.st_size)) == -1) {
		ctx_err(c, 0, "cannot read", "%s (a readable configuration "
		    "file)", strerror(errno));
		free(p);
		close(fd);
		return NULL;
	}
	close(fd);
	p[n] = '\0';
	if (memchr(p, '\0', (size_t)n) != NULL) {
		ctx_err(c, 0, "cannot read", "file contains a NUL byte (a "
		    "text file)");
		free(p);
		return NULL;
	}
	*lenp = (size_t)n;
	return p;
}

struct conf *
conf_load(const char *path, FILE *errs)
{
	return conf_load_held(path, errs, NULL, NULL);
}

struct conf *
conf_load_held(const char *path, FILE *errs, conf_held_fn held, void *arg)
{
	struct ctx	 c;
	struct conf	*cf = NULL;
	char		*text, *expanded = NULL;
	size_t		 len, i;
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.errs = errs;
	c.held = held;
	c.held_arg = arg;
	if ((text = read_file(&c, path, &len)) == NULL)
		goto out;
	expanded = conf_expand(&c, text, len);
	free(text);
	if (c.nerr > 0)
		goto out;

	mark_opts(root_opts);
	if ((c.cfg = cfg_init(root_opts, CFGF_NONE)) == NULL) {
		ctx_err(&c, 0, "cannot parse", "%s (memory)", strerror(errno));
		goto out;
	}
	cfg_set_error_function(c.cfg, on_error);
	cur = &c;
	rc = cfg_parse_buf(c.cfg, expanded);
	if (rc != CFG_SUCCESS || c.nerr > 0) {
		if (c.nerr == 0)
			ctx_err(&c, 0, "syntax error", "cannot parse (see "
			    "cairn.conf(5))");
		goto out;
	}

	cf = xcalloc(1, sizeof(*cf));
	cf->path = xstrdup(path);
	globals_build(&c, cf);
	notifiers_build(&c, cf);
	jobs_build(&c, cf);
	retention_build(&c, cf);
	verify_build(&c, cf);
	s3_build(&c, cf);
	if (c.nerr > 0) {
		conf_free(cf);
		cf = NULL;
	}
out:
	cur = NULL;
	if (c.cfg != NULL)
		cfg_free(c.cfg);
	free(expanded);
	ctx_flush(&c);
	free(c.lines);
	free(c.closes);
	for (i = 0; i < c.nheads; i++)
		free(c.heads[i].text);
	free(c.heads);
	if (cf == NULL)
		errno = EINVAL;
	return cf;
}

void
conf_free(struct conf *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->njobs; i++)
		job_free_fields(&cf->jobs[i]);
	free(cf->jobs);
	for (i = 0; i < cf->nnotifiers; i++)
		notify_free_fields(&cf->notifiers[i]);
	free(cf->notifiers);
	for (i = 0; i < cf->ns3; i++)
		s3_free_fields(&cf->s3[i]);
	free(cf->s3);
	free(cf->path);
	free(cf->user);
	free(cf->group);
	free(cf->backup_dir);
	free(cf->log_file);
	free(cf->audit_log);
	free(cf->control_socket);
	free(cf->socket_group);
	free(cf->metrics_file);
	free(cf->timezone);
	free(cf->retention.schedule);
	free(cf->verify.schedule);
	db_free(&cf->verify.target);
	free(cf->verify.target_database);
	free(cf);
}

void
conf_summary(const struct conf *cf, FILE *fp)
{
	size_t	 i, nmysql = 0, nsqlite = 0;

	for (i = 0; i < cf->njobs; i++) {
		if (cf->jobs[i].kind == JOB_MYSQL)
			nmysql++;
		else
			nsqlite++;
	}
	fprintf(fp, "%s: ok: %zu job%s (%zu mysql, %zu sqlite), backup_dir "
	    "%s, retention %d day%s (keep_min %d), user %s, timezone %s\n",
	    cf->path, cf->njobs, cf->njobs == 1 ? "" : "s", nmysql, nsqlite,
	    cf->backup_dir, cf->retention.days,
	    cf->retention.days == 1 ? "" : "s", cf->retention.keep_min,
	    cf->user != NULL ? cf->user : "(unchanged)", cf->timezone);
}

const struct job_conf *
conf_job_find(const struct conf *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->njobs; i++)
		if (strcmp(cf->jobs[i].name, name) == 0)
			return &cf->jobs[i];
	return NULL;
}

const struct notify_conf *
conf_notify_find(const struct conf *cf, const char *name)
{
	for (size_t i = 0; i < cf->nnotifiers; i++)
		if (strcmp(cf->notifiers[i].name, name) == 0)
			return &cf->notifiers[i];
	return NULL;
}

const struct s3_conf *
conf_s3_find(const struct conf *cf, const char *name)
{
	for (size_t i = 0; i < cf->ns3; i++)
		if (strcmp(cf->s3[i].name, name) == 0)
			return &cf->s3[i];
	return NULL;
}

const char *
conf_kind_name(enum job_kind k)
{
	switch (k) {
	case JOB_MYSQL:		return "mysql";
	case JOB_SQLITE:	return "sqlite";
	case JOB_PRUNE:		return "prune";
	case JOB_VERIFY:	return "verify";
	case JOB_NOTIFY:	return "notify";
	case JOB_UPLOAD:	return "upload";
	default:		return "unknown";
	}
}

const char *
conf_compress_name(enum compress_kind k)
{
	return (unsigned)k < nitems(compress_names) - 1 ?
	    compress_names[k] : "unknown";
}

const char *
conf_ssl_mode_name(enum ssl_mode m)
{
	return (unsigned)m < nitems(ssl_names) - 1 ? ssl_names[m] : "unknown";
}

bool
conf_job_encrypts(const struct job_conf *j)
{
	return j->age_recipients != NULL && j->age_recipients[0] != NULL;
}

void
conf_print_recipients(const struct conf *cf, FILE *fp)
{
	unsigned char	 pk[AGE_KEY_LEN];
	char		 fpr[24], why[160];

	for (size_t i = 0; i < cf->njobs; i++) {
		const struct job_conf	*j = &cf->jobs[i];

		if (!conf_job_encrypts(j))
			continue;
		for (size_t k = 0; j->age_recipients[k] != NULL; k++) {
			if (age_recipient_parse(j->age_recipients[k], pk, why,
			    sizeof(why)) == -1)
				continue;	/* checked at load */
			age_fingerprint(fpr, pk);
			fprintf(fp, "%s: job %s encrypts to %s %s\n", cf->path,
			    j->name, fpr, j->age_recipients[k]);
		}
		if (j->age_identity_file != NULL)
			fprintf(fp, "%s: job %s: verify and restore decrypt "
			    "with %s\n", cf->path, j->name,
			    j->age_identity_file);
	}
}
