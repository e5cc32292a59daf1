/* conf_expand.c -- the ${VAR} and ${VAR:-default} pre-pass */
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
int
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

char *
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
