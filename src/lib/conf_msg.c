/* conf_msg.c -- messages sorted by line, suggestions for unknown names */
#include "config.h"

#include <sys/stat.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn/util.h"
#include "conf_int.h"

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
void __attribute__((format(printf, 4, 5)))
ctx_err(struct ctx *c, int line, const char *what, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctx_vadd(c, line, "", what, fmt, ap);
	va_end(ap);
	c->nerr++;
}

void __attribute__((format(printf, 4, 5)))
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
void
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
void
on_error(cfg_t *sec, const char *fmt, va_list ap)
{
	char		 msg[512], name[CONF_NAME_MAX + 1] = "";
	char		*s, *e, *exp;
	const char	*kind = "mysql";
	int		 line = sec != NULL ? sec->line : 0, first;
	size_t		 i;

	if (conf_cur == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if ((s = strchr(msg, '\'')) != NULL && (e = strrchr(msg, '\'')) > s)
		snprintf(name, sizeof(name), "%.*s", (int)(e - s - 1), s + 1);

	if (strncmp(msg, "no such option", 14) == 0 && sec != NULL) {
		for (i = 0; i < conf_cur->nheads; i++)
			if (conf_cur->heads[i].line == line &&
			    strcmp(conf_cur->heads[i].text, name) == 0)
				break;
		if (i < conf_cur->nheads) {
			exp = expected_names(sec, name, 1);
			ctx_err(conf_cur, line, name, "unknown section %s (%s)",
			    sec_label(sec), exp);
		} else {
			exp = expected_names(sec, name, 0);
			ctx_err(conf_cur, line, name, "unknown option %s%s (%s)",
			    strcmp(sec->name, "root") == 0 ? "" : "in ",
			    sec_label(sec), exp);
		}
		free(exp);
	} else if (strncmp(msg, "found duplicate title", 21) == 0) {
		first = title_line(conf_cur, name, &kind);
		ctx_err(conf_cur, line, kind, "job name \"%s\" is used twice (a "
		    "unique name per job; the first %s %s is at line %d)",
		    name, kind, name, first);
	} else if (strncmp(msg, "missing title", 13) == 0) {
		ctx_err(conf_cur, line, name, "section without a job name "
		    "(%s NAME { ... })", name);
	} else if (strncmp(msg, "missing equal sign", 18) == 0) {
		ctx_err(conf_cur, line, name, "missing = (%s = value)", name);
	} else if (strncmp(msg, "missing opening brace", 21) == 0) {
		ctx_err(conf_cur, line, name, "missing { (%s { ... })", name);
	} else if (strncmp(msg, "attempt to append", 17) == 0) {
		ctx_err(conf_cur, line, name, "+= on an option that is not a list "
		    "(%s = value)", name);
	} else if (strncmp(msg, "unexpected token", 16) == 0) {
		ctx_err(conf_cur, line, "syntax error", "unexpected \"%s\" (option "
		    "= value, or a section: name { ... })", name);
	} else if (strncmp(msg, "premature end", 13) == 0) {
		ctx_err(conf_cur, line, "syntax error", "unexpected end of file "
		    "(a } for every {)");
	} else if (strncmp(msg, "unexpected closing brace", 24) == 0) {
		ctx_err(conf_cur, line, "syntax error", "} without a matching { "
		    "(a } for every {)");
	} else
		ctx_err(conf_cur, line, "syntax error", "%s (see cairn.conf(5))",
		    msg);
}
