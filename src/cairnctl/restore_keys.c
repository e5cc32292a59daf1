/*
 * restore_keys.c -- the plain KEY lines of a dumped CREATE TABLE that the
 * parallel restore adds after the rows (see restore_keys.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/sqlscan.h"
#include "cairn/util.h"
#include "restore_keys.h"

#define IDENT_MAX	1024	/* bytes of a name, unquoted */

/* what the scanner does not guess at: the table is loaded as dumped */
static const char *const refuse[] = {
	"FULLTEXT", "SPATIAL", "VECTOR", "USING HASH", "PARTITION",
	"SYSTEM VERSIONING", "SYSTEM_TIME", "PERIOD FOR", "FOREIGN KEY",
	"REFERENCES",
};

/* an entry: a line that starts outside every quote, and the lines that
 * continue it from inside a quote */
struct ent {
	size_t		 start, end;	/* text[start, end), no last newline */
	uint64_t	 line0, line1;	/* its first and last line */
};

enum { E_COL, E_PRIMARY, E_UNIQUE, E_KEY, E_CHECK };

static int
no(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s", what);
	return 0;
}

static struct ent *
ent_add(struct ent *e, size_t *ne, size_t *cap, size_t at, uint64_t line)
{
	if (*ne == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		e = xreallocarray(e, *cap, sizeof(*e));
	}
	e[*ne].start = at;
	e[*ne].line0 = line;
	(*ne)++;
	return e;
}

/*
 * The entries of t.  NULL (what says why) if t holds what a line-by-line
 * reading could get wrong: a comment, a backslash in a string (its
 * meaning depends on sql_mode), a carriage return, an open quote.
 */
static struct ent *
split(const char *t, size_t n, size_t *np, const char **what)
{
	struct ent	*e = NULL;
	size_t		 ne = 0, cap = 0;
	uint64_t	 line = 0;
	char		 q = '\0';

	*what = NULL;
	for (size_t i = 0; i < n && *what == NULL; i++) {
		char	 c = t[i];

		if (q == '\0' && (i == 0 || t[i - 1] == '\n')) {
			if (ne > 0) {
				e[ne - 1].end = i - 1;
				e[ne - 1].line1 = line - 1;
			}
			e = ent_add(e, &ne, &cap, i, line);
		}
		if (c == '\n')
			line++;
		if (q != '\0') {
			if (c == q && i + 1 < n && t[i + 1] == q)
				i++;		/* doubled */
			else if (c == q)
				q = '\0';
			else if (c == '\\' && q != '`')
				*what = "a backslash in a string";
			continue;
		}
		if (c == '`' || c == '\'' || c == '"')
			q = c;
		else if (c == '#' || (c == '/' && i + 1 < n && t[i + 1] == '*') ||
		    (c == '-' && i + 1 < n && t[i + 1] == '-'))
			*what = "a comment";
		else if (c == '\r')
			*what = "a carriage return";
	}
	if (*what == NULL && q != '\0')
		*what = "an open quote";
	if (*what != NULL || ne == 0) {
		free(e);
		if (*what == NULL)
			*what = "no lines";
		return NULL;
	}
	e[ne - 1].end = n;
	e[ne - 1].line1 = line;
	*np = ne;
	return e;
}

static bool
starts(const char *t, const struct ent *e, const char *prefix)
{
	size_t	 n = strlen(prefix);

	return e->end - e->start >= n && memcmp(t + e->start, prefix, n) == 0;
}

/* the backquoted name at *sp (inside e), moved past; -1 if none */
static int
ident_at(const char *t, const struct ent *e, const char **sp, char *out)
{
	if (*sp >= t + e->end || **sp != '`')
		return -1;
	return sqlscan_ident(sp, t + e->end, out, IDENT_MAX);
}

/* the first column of a key entry, after prefix (and the key's name when
 * named): "  PRIMARY KEY (`a`", "  UNIQUE KEY `u` (`a`" */
static int
key_first(const char *t, const struct ent *e, const char *prefix, bool named,
    char *col)
{
	const char	*p = t + e->start + strlen(prefix);
	char		 name[IDENT_MAX];

	if (named && (ident_at(t, e, &p, name) == -1 ||
	    t + e->end - p < 2 || memcmp(p, " (", 2) != 0))
		return -1;
	if (named)
		p += 2;
	return ident_at(t, e, &p, col);
}

static int
classify(const char *t, const struct ent *e)
{
	if (starts(t, e, "  `"))
		return E_COL;
	if (starts(t, e, "  PRIMARY KEY ("))
		return E_PRIMARY;
	if (starts(t, e, "  UNIQUE KEY `"))
		return E_UNIQUE;
	if (starts(t, e, "  KEY `"))
		return E_KEY;
	if (starts(t, e, "  CONSTRAINT `"))
		return E_CHECK;		/* a foreign key was refused before */
	return -1;
}

/*
 * The body's entries e[1..nb]: known, in the server's order (columns,
 * PRIMARY/UNIQUE, KEY, CHECK), commas where they belong, an AUTO_INCREMENT
 * column leading a PRIMARY or UNIQUE key.  kind[] gets each one's class.
 */
static const char *
body_check(const char *t, const struct ent *e, size_t nb, int *kind)
{
	char		 autocol[IDENT_MAX], col[IDENT_MAX];
	int		 last = E_COL;
	unsigned	 nauto = 0;
	bool		 auto_led = false;

	for (size_t i = 1; i <= nb; i++) {
		const struct ent	*x = &e[i];
		bool			 comma = x->end > x->start &&
					    t[x->end - 1] == ',';

		if ((kind[i] = classify(t, x)) == -1)
			return "a line it does not know";
		if (kind[i] < last || (i == 1 && kind[i] != E_COL))
			return "lines out of the server's order";
		last = kind[i];
		if (comma != (i < nb))
			return "a comma out of place";
		if (kind[i] == E_COL && memmem(t + x->start, x->end - x->start,
		    "AUTO_INCREMENT", 14) != NULL) {
			const char	*p = t + x->start + 2;

			if (++nauto > 1 || ident_at(t, x, &p, autocol) == -1)
				return "an AUTO_INCREMENT it cannot read";
		}
		if ((kind[i] == E_PRIMARY || kind[i] == E_UNIQUE) &&
		    nauto == 1 && key_first(t, x, kind[i] == E_PRIMARY ?
		    "  PRIMARY KEY (" : "  UNIQUE KEY ", kind[i] == E_UNIQUE,
		    col) == 0 && strcmp(col, autocol) == 0)
			auto_led = true;
	}
	if (nauto == 1 && !auto_led)
		return "an AUTO_INCREMENT column without a PRIMARY or UNIQUE "
		    "key led by it";
	return NULL;
}

/* the plan: lines to leave out, the comma, the ALTER */
static void
build(const char *t, const char *name, size_t namelen, const struct ent *e,
    size_t nb, const int *kind, struct rkeys *k)
{
	size_t	 len = strlen("ALTER TABLE ") + namelen + 3, o;

	for (size_t i = 1; i <= nb; i++) {
		if (kind[i] != E_KEY)
			continue;
		len += e[i].end - e[i].start + 6;
		k->drop = xreallocarray(k->drop, k->ndrop + e[i].line1 -
		    e[i].line0 + 1, sizeof(*k->drop));
		for (uint64_t l = e[i].line0; l <= e[i].line1; l++)
			k->drop[k->ndrop++] = l;
	}
	if (kind[nb] == E_KEY) {
		size_t	 i = nb;

		while (kind[i] == E_KEY)
			i--;
		k->uncomma = e[i].line1;
	}
	k->alter = xcalloc(1, len);
	o = (size_t)snprintf(k->alter, len, "ALTER TABLE %.*s", (int)namelen,
	    name);
	for (size_t i = 1; i <= nb; i++) {
		size_t		 n = e[i].end - e[i].start - 2;
		const char	*sep;

		if (kind[i] != E_KEY)
			continue;
		if (t[e[i].start + 2 + n - 1] == ',')
			n--;
		sep = k->nkeys++ > 0 ? ", ADD " : " ADD ";
		memcpy(k->alter + o, sep, strlen(sep));
		o += strlen(sep);
		memcpy(k->alter + o, t + e[i].start + 2, n);
		o += n;
	}
	memcpy(k->alter + o, ";\n", 3);
}

int
rkeys_table(const char *t, size_t n, struct rkeys *k, char *why,
    size_t whylen)
{
	struct ent	*e;
	const char	*what, *p;
	char		 name[IDENT_MAX];
	int		*kind;
	size_t		 ne, nb;

	memset(k, 0, sizeof(*k));
	if (n < 14 || memcmp(t, "CREATE TABLE `", 14) != 0)
		return no(why, whylen, "not CREATE TABLE `name`");
	for (size_t i = 0; i < nitems(refuse); i++)
		if (memmem(t, n, refuse[i], strlen(refuse[i])) != NULL)
			return no(why, whylen, refuse[i]);
	if ((e = split(t, n, &ne, &what)) == NULL)
		return no(why, whylen, what);
	p = t + 13;
	what = NULL;
	if (ne < 3 || ident_at(t, &e[0], &p, name) == -1 ||
	    t + e[0].end - p != 2 || memcmp(p, " (", 2) != 0)
		what = "no CREATE TABLE `name` ( line";
	else if (!starts(t, &e[ne - 1], ") ENGINE=InnoDB") ||
	    (e[ne - 1].end - e[ne - 1].start > 15 &&
	    t[e[ne - 1].start + 15] != ' '))
		what = "not InnoDB";
	if (what != NULL) {
		free(e);
		return no(why, whylen, what);
	}
	nb = ne - 2;
	kind = xcalloc(ne, sizeof(*kind));
	if ((what = body_check(t, e, nb, kind)) == NULL) {
		bool	 any = false;

		for (size_t i = 1; i <= nb; i++)
			any |= kind[i] == E_KEY;
		if (any)
			build(t, t + 13, (size_t)(p - t) - 13, e, nb, kind, k);
		else
			what = "no plain KEY";
	}
	free(kind);
	free(e);
	return what != NULL ? no(why, whylen, what) : 1;
}

void
rkeys_free(struct rkeys *k)
{
	free(k->drop);
	free(k->alter);
	memset(k, 0, sizeof(*k));
}

int
rkeys_foreign(const char *t, size_t n)
{
	const char	*p = t, *end = t + n;
	char		 name[IDENT_MAX];
	bool		 any = false;

	if (memmem(t, n, "FOREIGN KEY", 11) == NULL &&
	    memmem(t, n, "REFERENCES", 10) == NULL)
		return RKEYS_FK_NONE;
	if (n < 13 || memcmp(t, "CREATE TABLE ", 13) != 0)
		return RKEYS_FK_ANY;
	/* every REFERENCES: a name, not db.name */
	while ((p = memmem(p, (size_t)(end - p), "REFERENCES ", 11)) != NULL) {
		p += 11;
		any = true;
		if (p >= end || *p != '`' ||
		    sqlscan_ident(&p, end, name, sizeof(name)) == -1 ||
		    (p < end && *p == '.'))
			return RKEYS_FK_ANY;
	}
	return any ? RKEYS_FK_LOCAL : RKEYS_FK_ANY;
}
