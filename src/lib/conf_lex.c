/* conf_lex.c -- reading the file, the pre-lexer's tokens, option lines */
#include "config.h"

#include <sys/stat.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairn/util.h"
#include "conf_int.h"

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

struct line_rec *
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

int
is_word_char(char ch)
{
	return ch != '\0' && !isspace((unsigned char)ch) &&
	    strchr("{}=,()\"'#", ch) == NULL;
}

const char *
scan_key(struct scan *s)
{
	return s->key[0] != '\0' ? s->key : "syntax error";
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
void
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
void
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
void
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

void
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

void
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

/* libconfuse callbacks: note where each option and section was set. */
static int
on_value(cfg_t *sec, cfg_opt_t *opt)
{
	struct line_rec	*r;

	if (conf_cur == NULL)
		return 0;
	if ((r = line_find(conf_cur, opt)) == NULL)
		line_add(conf_cur, opt, sec->line);
	else if ((opt->flags & CFGF_LIST) == 0) {
		ctx_err(conf_cur, sec->line, opt->name,
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

	if (conf_cur == NULL || (n = cfg_opt_size(opt)) == 0)
		return 0;
	sec = cfg_opt_getnsec(opt, n - 1);
	line = conf_cur->iclose < conf_cur->ncloses ? conf_cur->closes[conf_cur->iclose++] :
	    parent->line;
	if ((opt->flags & CFGF_MULTI) == 0) {
		if ((r = line_find(conf_cur, opt)) != NULL) {
			ctx_err(conf_cur, line, opt->name, "section appears twice "
			    "(one %s section; the first is at line %d)",
			    opt->name, r->line);
			return 0;
		}
		line_add(conf_cur, opt, line);
	}
	if (line_find(conf_cur, sec) == NULL)
		line_add(conf_cur, sec, line);
	return 0;
}

void
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

char *
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
