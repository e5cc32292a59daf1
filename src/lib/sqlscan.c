/*
 * sqlscan -- a statement splitter for MySQL dumps (see include/cairn/sqlscan.h).
 *
 * One byte at a time through a small state machine, so that a chunk may end
 * anywhere.  The rules follow the stock client: a delimiter only counts
 * outside strings, identifiers and comments; DELIMITER is a client command
 * recognised at the start of a statement.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cairn/sqlscan.h"

#define COMMENT_MAX	4096

enum st {
	ST_NORMAL,
	ST_SQUOTE,	/* '...' */
	ST_DQUOTE,	/* "..." */
	ST_BQUOTE,	/* `...` */
	ST_ESCAPE,	/* after a backslash in a string */
	ST_DASH,	/* saw '-' */
	ST_DASH2,	/* saw "--" */
	ST_SLASH,	/* saw '/' */
	ST_BLOCK,	/* in a block comment */
	ST_BLOCK_STAR,	/* in a block comment, after '*' */
	ST_LINE,	/* in a line comment */
	ST_DELIM_CMD,	/* reading "DELIMITER xx" to the end of the line */
	ST_QUOTE_END,	/* after a quote that may be doubled */
	ST_SLASH_STAR,	/* saw slash-star: a comment, or executable text? */
	ST_SLASH_STAR_M,	/* saw slash-star-M */
	ST_BSLASH,	/* a backslash outside strings and comments */
};

#define WIN_MAX	(SQLSCAN_MAX_DELIM + 2)
/* the sliding windows below shift once per this many bytes, not per byte */
#define WIN_BUF	256

struct sqlscan {
	sqlscan_fn	 fn;
	void		*arg;
	size_t		 max;
	char		*buf;		/* the statement being built */
	size_t		 len, cap;
	size_t		 keep;		/* 0, or bytes of a statement kept */
	uint64_t	 total;		/* the statement's length so far */
	int		 cut;		/* longer than keep */
	int		 wrapped;	/* starts with SQLSCAN_WRAP_HEAD: kept whole */
	int		 depth;		/* parentheses outside strings */
	uint64_t	 groups;	/* (...) groups at depth 0 */
	char		 tailw[WIN_BUF];	/* its last bytes */
	size_t		 tlen;
	size_t		 normal_run;	/* trailing bytes appended in ST_NORMAL */
	enum st		 st;
	enum st		 esc_ret;	/* state to return to after escape */
	char		 quote;		/* the quote of ST_QUOTE_END */
	char		 delim[SQLSCAN_MAX_DELIM + 1];
	size_t		 dlen;
	char		 comment[COMMENT_MAX + 1];
	size_t		 clen;
	int		 comment_alone;	/* the line comment is between statements */
	uint64_t	 line;
	uint64_t	 stmt_line;
	uint64_t	 quote_line;
	int		 ansi_quotes;	/* the sql_mode the dump set */
	int		 no_bs_escapes;
	int		 line_empty;	/* only whitespace so far on this line */
	int		 first_line;	/* the statement began a line */
	int		 line_delim;	/* this line holds the delimiter */
	int		 line_bs_g;	/* this line holds "\g" */
	char		 win[WIN_BUF];	/* the line's last bytes */
	size_t		 wlen;
	int		 failed;
	char		 err[160];
};

static void
seterr(struct sqlscan *s, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(s->err, sizeof(s->err), "line %llu: ",
	    (unsigned long long)s->line);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(s->err))
		vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	va_end(ap);
	s->failed = 1;
}

struct sqlscan *
sqlscan_new(size_t max_stmt, sqlscan_fn fn, void *arg)
{
	struct sqlscan	*s;

	if (fn == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	s->max = max_stmt ? max_stmt : SQLSCAN_MAX_STMT;
	s->cap = 4096;
	if ((s->buf = malloc(s->cap)) == NULL) {
		free(s);
		return NULL;
	}
	s->buf[0] = '\0';
	strcpy(s->delim, ";");
	s->dlen = 1;
	s->line = 1;
	s->line_empty = 1;
	s->st = ST_NORMAL;
	return s;
}

void
sqlscan_free(struct sqlscan *s)
{
	if (s == NULL)
		return;
	free(s->buf);
	free(s);
}

const char *
sqlscan_error(const struct sqlscan *s)
{
	return s->err[0] ? s->err : "no error";
}

/*
 * The wrapped form exactly as sqlout writes it: after the head, pieces
 * 'text' ('' for a quote) and CHAR(n USING utf8mb4) (n < 128), separated
 * by ", ", then ")".
 */
static size_t
unwrap_pass(char *text, size_t len, int write)
{
	static const char	 chr[] = "CHAR(", use[] = " USING utf8mb4)";
	const char		*p = text + sizeof(SQLSCAN_WRAP_HEAD) - 1;
	const char		*e = text + len;
	char			*o = text;
	unsigned		 n;

	if (len < sizeof(SQLSCAN_WRAP_HEAD) - 1 ||
	    memcmp(text, SQLSCAN_WRAP_HEAD, sizeof(SQLSCAN_WRAP_HEAD) - 1))
		return (size_t)-1;
	p--;	/* at the first piece's quote */
	for (;;) {
		if (p < e && *p == '\'') {
			for (p++;; p++) {
				if (p >= e)
					return (size_t)-1;
				if (*p == '\'') {
					if (p + 1 < e && p[1] == '\'') {
						if (write)
							*o = *p;
						o++, p++;
						continue;
					}
					p++;
					break;
				}
				if (write)
					*o = *p;
				o++;
			}
		} else if ((size_t)(e - p) > sizeof(chr) - 1 &&
		    memcmp(p, chr, sizeof(chr) - 1) == 0) {
			p += sizeof(chr) - 1;
			if (p >= e || *p < '0' || *p > '9')
				return (size_t)-1;
			for (n = 0; p < e && *p >= '0' && *p <= '9' && n < 128;
			    p++)
				n = n * 10 + (unsigned)(*p - '0');
			if (n >= 128 || (size_t)(e - p) < sizeof(use) - 1 ||
			    memcmp(p, use, sizeof(use) - 1) != 0)
				return (size_t)-1;
			p += sizeof(use) - 1;
			if (write)
				*o = (char)n;
			o++;
		} else
			return (size_t)-1;
		if (p + 1 == e && *p == ')')
			break;
		if (e - p < 2 || p[0] != ',' || p[1] != ' ')
			return (size_t)-1;
		p += 2;
	}
	if (write)
		*o = '\0';
	return (size_t)(o - text);
}

size_t
sqlscan_unwrap(char *text, size_t len)
{
	if (unwrap_pass(text, len, 0) == (size_t)-1)
		return (size_t)-1;
	return unwrap_pass(text, len, 1);
}

void
sqlscan_keep(struct sqlscan *s, size_t keep)
{
	s->keep = keep != 0 && keep < 64 ? 64 : keep;
}

uint64_t
sqlscan_line(const struct sqlscan *s)
{
	return s->line;
}

int
sqlscan_quoting(const struct sqlscan *s)
{
	return (s->ansi_quotes ? SQLSCAN_ANSI_QUOTES : 0) |
	    (s->no_bs_escapes ? SQLSCAN_NO_BS_ESCAPES : 0);
}

static int
emit(struct sqlscan *s, enum sqlscan_kind kind, const char *text, size_t len,
    uint64_t line, int unterminated)
{
	struct sqlscan_item	 it = { .kind = kind, .text = text,
				    .len = len, .line = line,
				    .unterminated = unterminated, .total = len };

	if (kind == SQLSCAN_STMT) {
		it.wrapped = s->wrapped;
		it.cut = s->cut;
		it.total = s->total;
		it.groups = s->groups;
	}

	if (s->fn(s->arg, &it) == -1) {
		seterr(s, "stopped");
		return -1;
	}
	return 0;
}

static int
append(struct sqlscan *s, char c)
{
	size_t	 lim = s->keep != 0 && !s->wrapped ? s->keep : s->max;

	if (s->total == 0) {
		if (isspace((unsigned char)c))
			return 0;	/* no leading whitespace */
		s->stmt_line = s->line;
		s->first_line = s->line_empty;
	}
	if (s->total >= s->max) {
		seterr(s, "statement starting at line %llu is longer than %zu "
		    "bytes", (unsigned long long)s->stmt_line, s->max);
		return -1;
	}
	s->total++;
	if (s->tlen == sizeof(s->tailw)) {
		memmove(s->tailw, s->tailw + WIN_BUF - SQLSCAN_MAX_DELIM,
		    SQLSCAN_MAX_DELIM);
		s->tlen = SQLSCAN_MAX_DELIM;
	}
	s->tailw[s->tlen++] = c;
	if (s->len >= lim) {
		s->cut = 1;	/* the rest is counted, not kept */
		return 0;
	}
	if (s->len + 2 > s->cap) {
		size_t	 ncap = s->cap * 2;
		char	*nb;

		if (ncap > lim + 2)
			ncap = lim + 2;
		if ((nb = realloc(s->buf, ncap)) == NULL) {
			seterr(s, "out of memory");
			return -1;
		}
		s->buf = nb;
		s->cap = ncap;
	}
	s->buf[s->len++] = c;
	s->buf[s->len] = '\0';
	/* a wrapped statement is decoded whole (keep >= 64 > the head) */
	if (s->len == sizeof(SQLSCAN_WRAP_HEAD) - 1 &&
	    memcmp(s->buf, SQLSCAN_WRAP_HEAD, s->len) == 0)
		s->wrapped = 1;
	return 0;
}

static void
trim(struct sqlscan *s)
{
	while (s->len > 0 && isspace((unsigned char)s->buf[s->len - 1]))
		s->len--;
	s->buf[s->len] = '\0';
}

static const char *skip_ws(const char *, const char *);

static void
stmt_reset(struct sqlscan *s)
{
	s->len = 0;
	s->buf[0] = '\0';
	s->normal_run = 0;
	s->total = 0;
	s->cut = 0;
	s->wrapped = 0;
	s->depth = 0;
	s->groups = 0;
	s->tlen = 0;
}

/*
 * The stock client's own commands, by name (MariaDB 10.11's mysql.cc).  At
 * the start of a line that begins a statement, or as the first word of a
 * whole statement, the client runs them instead of sending SQL.
 */
static const char *const client_cmds[] = {
	"?", "charset", "clear", "connect", "delimiter", "edit", "ego",
	"exit", "go", "help", "nopager", "notee", "nowarning", "pager",
	"print", "prompt", "quit", "rehash", "sandbox", "source", "status",
	"system", "tee", "use", "warnings",
};

/* the client command named by the first word of p (to space or tab), or
 * NULL */
static const char *
cmd_word(const char *p, const char *end)
{
	const char	*e;

	for (e = p; e < end && *e != ' ' && *e != '\t' && *e != '\n' &&
	    *e != '\r'; e++)
		;
	for (size_t i = 0; i < sizeof(client_cmds) / sizeof(client_cmds[0]);
	    i++)
		if (strlen(client_cmds[i]) == (size_t)(e - p) &&
		    strncasecmp(p, client_cmds[i], (size_t)(e - p)) == 0)
			return client_cmds[i];
	return NULL;
}

static int
emit_cmd(struct sqlscan *s, const char *what, uint64_t line)
{
	return emit(s, SQLSCAN_COMMAND, what, strlen(what), line, 0);
}

/* SET ... sql_mode = 'A,B': ANSI_QUOTES and NO_BACKSLASH_ESCAPES change
 * how the client reads quotes and backslashes from the next statement on */
static void
track_sql_mode(struct sqlscan *s, const char *t, size_t len)
{
	const char	*p = skip_ws(t, t + len), *end = t + len, *q, *m;

	if (end - p > 3 && strncmp(p, "/*!", 3) == 0)
		for (p += 3; p < end && isdigit((unsigned char)*p); p++)
			;
	p = skip_ws(p, end);
	if (end - p < 4 || strncasecmp(p, "set", 3) != 0 ||
	    !isspace((unsigned char)p[3]))
		return;
	/* m: a match of "_mode"; q scans on from it, p resumes after it */
	for (; p < end && (m = memmem(p, (size_t)(end - p), "_mode", 5)) !=
	    NULL; p = m + 5) {
		char	 mode[512], *tok, *save = NULL;
		size_t	 n = 0;

		q = m;
		if (q - t < 3 || strncasecmp(q - 3, "sql", 3) != 0 ||
		    (q - t > 3 && (q[-4] == '@' || q[-4] == '_' ||
		    isalnum((unsigned char)q[-4]))))
			continue;
		for (q += 5; q < end && isspace((unsigned char)*q); q++)
			;
		if (q >= end || *q != '=')
			continue;
		for (q++; q < end && isspace((unsigned char)*q); q++)
			;
		s->ansi_quotes = s->no_bs_escapes = 0;
		if (q >= end || (*q != '\'' && *q != '"'))
			continue;	/* @OLD_SQL_MODE: the server's own */
		for (q++; q < end && *q != '\'' && *q != '"' &&
		    n + 1 < sizeof(mode); q++)
			mode[n++] = (char)toupper((unsigned char)*q);
		mode[n] = '\0';
		for (tok = strtok_r(mode, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "NO_BACKSLASH_ESCAPES") == 0)
				s->no_bs_escapes = 1;
			else if (strcmp(tok, "ANSI_QUOTES") == 0 ||
			    strcmp(tok, "ANSI") == 0 ||
			    strcmp(tok, "ORACLE") == 0 ||
			    strcmp(tok, "POSTGRESQL") == 0 ||
			    strcmp(tok, "MSSQL") == 0 ||
			    strcmp(tok, "DB2") == 0 ||
			    strcmp(tok, "MAXDB") == 0)
				s->ansi_quotes = 1;
		}
	}
}

static int
finish_stmt(struct sqlscan *s, int unterminated)
{
	const char	*cmd;
	size_t		 n;
	int		 rc = 0;

	trim(s);
	s->first_line = 0;
	if (s->total > 0) {
		/* the client reads the statement's first word, comments
		 * left out, as a command of its own: USE is the only one a
		 * dump has a use for */
		cmd = cmd_word(skip_ws(s->buf, s->buf + s->len),
		    s->buf + s->len);
		if (cmd != NULL && strcmp(cmd, "use") != 0 &&
		    emit_cmd(s, cmd, s->stmt_line) == -1)
			return -1;
		track_sql_mode(s, s->buf, s->len);
		if (s->wrapped && !s->cut &&
		    (n = sqlscan_unwrap(s->buf, s->len)) != (size_t)-1) {
			s->len = n;
			s->total = n;
		} else
			s->wrapped = 0;
		rc = emit(s, SQLSCAN_STMT, s->buf, s->len, s->stmt_line,
		    unterminated);
	}
	stmt_reset(s);
	return rc;
}

/* A byte in ST_NORMAL that is not the start of anything special. */
static int
normal_byte(struct sqlscan *s, char c)
{
	if (append(s, c) == -1)
		return -1;
	if (s->total == 0)
		return 0;	/* leading whitespace dropped */
	s->normal_run++;
	if (c == '(' && s->depth++ == 0)
		s->groups++;
	else if (c == ')' && s->depth > 0)
		s->depth--;
	/* "DELIMITER " at the start of a statement is a client command */
	if (s->total == 10 && s->normal_run >= 10 &&
	    strncasecmp(s->buf, "delimiter", 9) == 0 &&
	    (c == ' ' || c == '\t')) {
		stmt_reset(s);
		s->clen = 0;
		s->st = ST_DELIM_CMD;
		return 0;
	}
	if (c == s->delim[s->dlen - 1] && s->normal_run >= s->dlen &&
	    s->tlen >= s->dlen &&
	    memcmp(s->tailw + s->tlen - s->dlen, s->delim, s->dlen) == 0) {
		if (s->len > s->total - s->dlen)
			s->len = (size_t)(s->total - s->dlen);
		s->total -= s->dlen;
		s->buf[s->len] = '\0';
		return finish_stmt(s, 0);
	}
	return 0;
}

static int
delim_cmd_end(struct sqlscan *s)
{
	char	*p = s->comment, *q;

	s->comment[s->clen] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	for (q = p; *q != '\0' && !isspace((unsigned char)*q); q++)
		;
	*q = '\0';
	if (*p == '\0') {
		seterr(s, "DELIMITER without a delimiter");
		return -1;
	}
	if ((size_t)(q - p) > SQLSCAN_MAX_DELIM || strchr(p, '\\') != NULL) {
		seterr(s, "bad delimiter \"%.20s\"", p);
		return -1;
	}
	memcpy(s->delim, p, (size_t)(q - p) + 1);
	s->dlen = (size_t)(q - p);
	s->st = ST_NORMAL;
	return emit(s, SQLSCAN_DELIMITER, s->delim, s->dlen, s->line, 0);
}

static int
comment_byte(struct sqlscan *s, char c)
{
	if (s->clen < COMMENT_MAX)
		s->comment[s->clen++] = c;
	return 0;
}

static int
line_comment_end(struct sqlscan *s)
{
	s->st = ST_NORMAL;
	if (s->comment_alone) {
		s->comment[s->clen] = '\0';
		return emit(s, SQLSCAN_COMMENT, s->comment, s->clen, s->line,
		    0);
	}
	s->normal_run = 0;
	return append(s, '\n');
}

static void
start_line_comment(struct sqlscan *s, const char *intro)
{
	s->st = ST_LINE;
	s->comment_alone = s->total == 0;
	s->clen = 0;
	for (; *intro != '\0'; intro++)
		comment_byte(s, *intro);
}

/*
 * Long (151 lines): the scanner's state machine, one case per state, kept
 * together so the transitions read as a table.
 */
static int
step(struct sqlscan *s, char c)
{
	switch (s->st) {
	case ST_NORMAL:
		switch (c) {
		case '\'':
		case '"':
		case '`':
			if (s->total == 0)
				s->stmt_line = s->line;
			s->quote_line = s->line;
			s->st = c == '\'' ? ST_SQUOTE : c == '"' ? ST_DQUOTE :
			    ST_BQUOTE;
			s->normal_run = 0;
			return append(s, c);
		case '-':
			s->st = ST_DASH;
			return 0;
		case '/':
			s->st = ST_SLASH;
			return 0;
		case '#':
			start_line_comment(s, "#");
			return 0;
		case '\\':
			s->st = ST_BSLASH;
			return 0;
		default:
			return normal_byte(s, c);
		}
	case ST_BSLASH:
		/* the client runs \x as a command anywhere outside strings
		 * and comments; \N is NULL, \- turns its sandbox mode on */
		s->st = ST_NORMAL;
		if (c == 'N')
			return normal_byte(s, '\\') == -1 ? -1 :
			    normal_byte(s, c);
		if (c == '-' || c == '\n')
			return c == '\n' ? step(s, c) : 0;
		{
			char	 cmd[3] = { '\\', c, '\0' };

			return emit_cmd(s, cmd, s->line);
		}
	case ST_DASH:
		if (c == '-') {
			s->st = ST_DASH2;
			return 0;
		}
		s->st = ST_NORMAL;
		if (normal_byte(s, '-') == -1)
			return -1;
		return step(s, c);
	case ST_DASH2:
		/* "-- " needs whitespace or a control character after it;
		 * at the start of a statement "--" is enough */
		if ((unsigned char)c <= ' ' || s->total == 0) {
			start_line_comment(s, "--");
			if (c == '\n')
				return line_comment_end(s);
			return comment_byte(s, c);
		}
		s->st = ST_NORMAL;
		if (normal_byte(s, '-') == -1 || normal_byte(s, '-') == -1)
			return -1;
		return step(s, c);
	case ST_SLASH:
		if (c == '*') {
			s->st = ST_SLASH_STAR;
			return 0;
		}
		s->st = ST_NORMAL;
		if (normal_byte(s, '/') == -1)
			return -1;
		return step(s, c);
	case ST_SLASH_STAR:
	case ST_SLASH_STAR_M:
		/* executable comments are plain text to the client: quotes,
		 * delimiters and commands count inside them */
		if (c == '!') {
			s->normal_run = 0;
			if (append(s, '/') == -1 || append(s, '*') == -1 ||
			    (s->st == ST_SLASH_STAR_M && append(s, 'M') == -1))
				return -1;
			s->st = ST_NORMAL;
			return append(s, c);
		}
		if (c == 'M' && s->st == ST_SLASH_STAR) {
			s->st = ST_SLASH_STAR_M;
			return 0;
		}
		s->normal_run = 0;
		if (s->total == 0)
			s->stmt_line = s->line;
		s->quote_line = s->line;
		if (append(s, '/') == -1 || append(s, '*') == -1 ||
		    (s->st == ST_SLASH_STAR_M && append(s, 'M') == -1))
			return -1;
		s->st = ST_BLOCK;
		return step(s, c);
	case ST_BLOCK:
		if (c == '*')
			s->st = ST_BLOCK_STAR;
		return append(s, c);
	case ST_BLOCK_STAR:
		if (c == '/')
			s->st = ST_NORMAL;
		else if (c != '*')
			s->st = ST_BLOCK;
		return append(s, c);
	case ST_LINE:
		if (c == '\n')
			return line_comment_end(s);
		if (c == '\r')
			return 0;
		return comment_byte(s, c);
	case ST_DELIM_CMD:
		if (c == '\n')
			return delim_cmd_end(s);
		return comment_byte(s, c);
	case ST_SQUOTE:
	case ST_DQUOTE:
	case ST_BQUOTE: {
		char	 q = s->st == ST_SQUOTE ? '\'' :
		    s->st == ST_DQUOTE ? '"' : '`';

		if (c == '\\' && s->st != ST_BQUOTE && !s->no_bs_escapes &&
		    !(s->st == ST_DQUOTE && s->ansi_quotes)) {
			s->esc_ret = s->st;
			s->st = ST_ESCAPE;
		} else if (c == q) {
			s->quote = q;
			s->esc_ret = s->st;
			s->st = ST_QUOTE_END;
		}
		return append(s, c);
	}
	case ST_ESCAPE:
		s->st = s->esc_ret;
		return append(s, c);
	case ST_QUOTE_END:
		if (c == s->quote) {	/* a doubled quote: still inside */
			s->st = s->esc_ret;
			return append(s, c);
		}
		s->st = ST_NORMAL;
		s->normal_run = 0;
		return step(s, c);
	}
	return 0;
}

/* what the client sees of the raw line: is the delimiter in it, "\\g"? */
static void
line_byte(struct sqlscan *s, char c)
{
	if (c == '\n') {
		s->line_empty = 1;
		s->line_delim = s->line_bs_g = 0;
		s->first_line = 0;
		s->wlen = 0;
		return;
	}
	if (!isspace((unsigned char)c))
		s->line_empty = 0;
	if (s->wlen == sizeof(s->win)) {
		memmove(s->win, s->win + WIN_BUF - WIN_MAX, WIN_MAX);
		s->wlen = WIN_MAX;
	}
	s->win[s->wlen++] = c;
	if (c == s->delim[s->dlen - 1] && s->wlen >= s->dlen &&
	    memcmp(s->win + s->wlen - s->dlen, s->delim, s->dlen) == 0)
		s->line_delim = 1;
	if (s->wlen >= 2 && s->win[s->wlen - 2] == '\\' &&
	    s->win[s->wlen - 1] == 'g')
		s->line_bs_g = 1;
}

int
sqlscan_plain(const struct sqlscan *s)
{
	return !s->failed && s->st == ST_NORMAL && s->total == 0 &&
	    s->line_empty && s->dlen == 1 && s->delim[0] == ';' &&
	    !s->ansi_quotes && !s->no_bs_escapes;
}

void
sqlscan_skip_line(struct sqlscan *s)
{
	s->line++;
}

int
sqlscan_feed(struct sqlscan *s, const char *p, size_t n)
{
	if (s->failed)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && s->first_line && s->total > 0 &&
		    !s->line_delim && !s->line_bs_g) {
			/* the client reads this line as a command before the
			 * rest of the statement is there */
			const char	*cmd = cmd_word(s->buf, s->buf + s->len);

			s->first_line = 0;
			if (cmd != NULL && strcmp(cmd, "delimiter") != 0 &&
			    emit_cmd(s, cmd, s->stmt_line) == -1) {
				s->failed = 1;
				return -1;
			}
		}
		if (step(s, p[i]) == -1) {
			s->failed = 1;
			return -1;
		}
		line_byte(s, p[i]);
		if (p[i] == '\n')
			s->line++;
	}
	return 0;
}

int
sqlscan_end(struct sqlscan *s)
{
	if (s->failed)
		return -1;
	switch (s->st) {
	case ST_SQUOTE:
	case ST_DQUOTE:
	case ST_ESCAPE:
		seterr(s, "string starting at line %llu never ends",
		    (unsigned long long)s->quote_line);
		return -1;
	case ST_BQUOTE:
		seterr(s, "identifier starting at line %llu never ends",
		    (unsigned long long)s->quote_line);
		return -1;
	case ST_BLOCK:
	case ST_BLOCK_STAR:
		seterr(s, "comment starting at line %llu never ends",
		    (unsigned long long)s->quote_line);
		return -1;
	case ST_DASH:
		if (normal_byte(s, '-') == -1)
			return -1;
		break;
	case ST_DASH2:
		start_line_comment(s, "--");
		if (line_comment_end(s) == -1)
			return -1;
		break;
	case ST_SLASH:
		if (normal_byte(s, '/') == -1)
			return -1;
		break;
	case ST_SLASH_STAR:
	case ST_SLASH_STAR_M:
		seterr(s, "comment starting at line %llu never ends",
		    (unsigned long long)s->line);
		return -1;
	case ST_BSLASH:
		break;
	case ST_LINE:
		if (line_comment_end(s) == -1)
			return -1;
		break;
	case ST_DELIM_CMD:
		if (delim_cmd_end(s) == -1)
			return -1;
		break;
	case ST_QUOTE_END:
	case ST_NORMAL:
		break;
	}
	if (finish_stmt(s, 1) == -1)
		return -1;
	s->failed = 1;		/* no more input after the end */
	s->err[0] = '\0';
	return 0;
}

/* ---- reading statements ---- */

static const char *
skip_ws(const char *p, const char *end)
{
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (end - p >= 2 && p[0] == '/' && p[1] == '*' &&
		    (end - p < 3 || p[2] != '!')) {
			const char	*q;

			for (q = p + 2; q + 1 < end; q++)
				if (q[0] == '*' && q[1] == '/')
					break;
			if (q + 1 >= end)
				return end;
			p = q + 2;
			continue;
		}
		return p;
	}
}

/* Match a keyword (case-insensitive, whole word) at *sp. */
static int
keyword(const char **sp, const char *end, const char *kw)
{
	const char	*p = skip_ws(*sp, end);
	size_t		 n = strlen(kw);

	if ((size_t)(end - p) < n || strncasecmp(p, kw, n) != 0)
		return 0;
	if (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_' ||
	    p[n] == '$'))
		return 0;
	*sp = p + n;
	return 1;
}

int
sqlscan_ident(const char **sp, const char *end, char *out, size_t outlen)
{
	const char	*p = skip_ws(*sp, end);
	size_t		 o = 0;

	if (outlen == 0)
		return -1;
	if (end - p >= 3 && (*p == 'X' || *p == 'x') && p[1] == '\'') {
		/* a marker's name holding control characters: X'hex' */
		for (p += 2; p + 1 < end && isxdigit((unsigned char)p[0]) &&
		    isxdigit((unsigned char)p[1]); p += 2) {
			char	 h[3] = { p[0], p[1], '\0' };

			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)strtoul(h, NULL, 16);
		}
		if (p >= end || *p != '\'' || o == 0)
			return -1;
		out[o] = '\0';
		*sp = p + 1;
		return 0;
	}
	if (p < end && *p == '`') {
		for (p++; p < end; p++) {
			if (*p == '`') {
				if (p + 1 < end && p[1] == '`')
					p++;	/* doubled */
				else
					break;
			}
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *p;
		}
		if (p >= end)
			return -1;
		p++;
	} else {
		while (p < end && (isalnum((unsigned char)*p) || *p == '_' ||
		    *p == '$' || (unsigned char)*p >= 0x80)) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *p++;
		}
		if (o == 0)
			return -1;
	}
	out[o] = '\0';
	*sp = p;
	return 0;
}

static const char *quoted_end(const char *, const char *, int);

/* Skip a balanced (...) group starting at p (on the '('). */
static const char *
skip_group(const char *p, const char *end)
{
	int	 depth = 0;

	while (p < end) {
		switch (*p) {
		case '\'':
		case '"':
		case '`':
			if ((p = quoted_end(p, end, *p != '`')) == NULL)
				return NULL;
			continue;
		case '(':
			depth++;
			break;
		case ')':
			if (--depth == 0)
				return p + 1;
			break;
		case '/':
			if (p + 1 < end && p[1] == '*') {
				const char	*q;

				for (q = p + 2; q + 1 < end; q++)
					if (q[0] == '*' && q[1] == '/')
						break;
				if (q + 1 >= end)
					return NULL;
				p = q + 2;
				continue;
			}
			break;
		}
		p++;
	}
	return NULL;
}

/* "INSERT ... INTO name [(cols)] VALUES": 1 with *pp after VALUES */
static int
insert_head(const char **pp, const char *end, char *db, size_t dblen,
    char *tbl, size_t tbllen, int *has_cols)
{
	const char	*p = *pp;

	*has_cols = 0;
	if (!keyword(&p, end, "insert") && !keyword(&p, end, "replace"))
		return 0;
	(void)(keyword(&p, end, "low_priority") ||
	    keyword(&p, end, "delayed") || keyword(&p, end, "high_priority"));
	(void)keyword(&p, end, "ignore");
	(void)keyword(&p, end, "into");
	if (dblen > 0)
		db[0] = '\0';
	if (sqlscan_ident(&p, end, tbl, tbllen) == -1)
		goto bad;
	if (p < end && *p == '.') {
		p++;
		if (strlen(tbl) >= dblen)
			goto bad;
		strcpy(db, tbl);
		if (sqlscan_ident(&p, end, tbl, tbllen) == -1)
			goto bad;
	}
	p = skip_ws(p, end);
	if (p < end && *p == '(') {		/* column list */
		if ((p = skip_group(p, end)) == NULL)
			goto bad;
		*has_cols = 1;
	}
	if (!keyword(&p, end, "values") && !keyword(&p, end, "value"))
		return 0;			/* INSERT ... SELECT / SET */
	*pp = p;
	return 1;
bad:
	errno = EINVAL;
	return -1;
}

int
sqlscan_insert_head(const char *stmt, size_t len, char *db, size_t dblen,
    char *tbl, size_t tbllen, int *has_cols)
{
	const char	*p = stmt;

	return insert_head(&p, stmt + len, db, dblen, tbl, tbllen, has_cols);
}

int
sqlscan_insert(const char *stmt, size_t len, char *db, size_t dblen,
    char *tbl, size_t tbllen, uint64_t *rows)
{
	const char	*p = stmt, *end = stmt + len;
	uint64_t	 n = 0;
	int		 r, has_cols;

	if ((r = insert_head(&p, end, db, dblen, tbl, tbllen,
	    &has_cols)) != 1)
		return r;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end || *p != '(')
			goto bad;
		if ((p = skip_group(p, end)) == NULL)
			goto bad;
		n++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	/* what may follow: ON DUPLICATE KEY UPDATE ..., or nothing */
	if (p < end && !keyword(&p, end, "on") && !keyword(&p, end, "as"))
		goto bad;
	*rows = n;
	return 1;
bad:
	errno = EINVAL;
	return -1;
}

int
sqlscan_use(const char *stmt, size_t len, char *db, size_t dblen)
{
	const char	*p = stmt, *end = stmt + len;

	if (!keyword(&p, end, "use"))
		return 0;
	if (sqlscan_ident(&p, end, db, dblen) == -1)
		return 0;
	p = skip_ws(p, end);
	return p == end;
}

int
sqlscan_rows_line(const char *line, size_t len, uint64_t *groups)
{
	const char	*p = line, *end = line + len, *q;
	int		 depth = 0;
	uint64_t	 g = 0;

	if (len < 12 || memcmp(line, "INSERT INTO ", 12) != 0 ||
	    line[len - 1] == '\r')
		return 0;
	while (p < end) {
		unsigned char	 c = (unsigned char)*p;

		switch (c) {
		case '\'': case '"': case '`':
			if ((q = quoted_end(p, end, c != '`')) == NULL)
				return 0;	/* the statement goes on */
			p = q;
			continue;
		case '(':
			if (depth++ == 0)
				g++;
			break;
		case ')':
			if (depth == 0)
				return 0;
			depth--;
			break;
		case ';':
			/* the delimiter: only blanks after it */
			for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
				;
			if (p != end || depth != 0)
				return 0;
			*groups = g;
			return 1;
		case '#': case '/': case '\\':
			return 0;	/* a comment or a client command */
		case '-':
			if (p + 1 < end && p[1] == '-')
				return 0;
			break;
		default:
			if (c < ' ' && c != '\t')
				return 0;
		}
		p++;
	}
	return 0;	/* no delimiter: the statement goes on */
}

int
sqlscan_alter_db(const char *stmt, size_t len, char *db, size_t dblen,
    size_t *rest)
{
	const char	*p = stmt, *end = stmt + len, *q;

	if (!keyword(&p, end, "alter"))
		return 0;
	if (!keyword(&p, end, "database") && !keyword(&p, end, "schema"))
		return 0;
	/* without a name it is about the current database */
	q = p;
	if (keyword(&q, end, "character") || keyword(&q, end, "charset") ||
	    keyword(&q, end, "collate") || keyword(&q, end, "default") ||
	    keyword(&q, end, "comment"))
		return 0;
	if (sqlscan_ident(&p, end, db, dblen) == -1)
		return 0;
	*rest = (size_t)(p - stmt);
	return 1;
}

int
sqlscan_create_db(const char *stmt, size_t len, char *db, size_t dblen)
{
	const char	*p = stmt, *end = stmt + len;
	const char	*q;

	/* mysqldump's executable "IF NOT EXISTS" comment, or plain */
	if (!keyword(&p, end, "create"))
		return 0;
	if (!keyword(&p, end, "database") && !keyword(&p, end, "schema"))
		return 0;
	q = skip_ws(p, end);
	if (end - q > 3 && q[0] == '/' && q[1] == '*' && q[2] == '!') {
		const char	*r = memmem(q, (size_t)(end - q), "*/", 2);

		if (r == NULL)
			return 0;
		p = r + 2;
	} else if (keyword(&p, end, "if")) {
		if (!keyword(&p, end, "not") || !keyword(&p, end, "exists"))
			return 0;
	}
	return sqlscan_ident(&p, end, db, dblen) == 0;
}

int
sqlscan_account(const char *stmt, size_t len)
{
	const char	*p = stmt, *end = stmt + len;

	if (keyword(&p, end, "grant"))
		return 1;
	if (keyword(&p, end, "create"))
		return keyword(&p, end, "user") || keyword(&p, end, "role");
	return keyword(&p, end, "set") && keyword(&p, end, "default") &&
	    keyword(&p, end, "role");
}

/* ---- what a CREATE statement makes, and the databases it names ---- */

static int
ident_byte(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' ||
	    (unsigned char)c >= 0x80;
}

/* ASCII letters without case, other bytes as they are */
static int
same_ci(char a, char b)
{
	if (a >= 'A' && a <= 'Z')
		a = (char)(a - 'A' + 'a');
	if (b >= 'A' && b <= 'Z')
		b = (char)(b - 'A' + 'a');
	return a == b;
}

/* past the string or quoted name opened at p (on its quote), doubled
 * quotes inside, backslash escapes when bs; NULL if it never ends */
static const char *
quoted_end(const char *p, const char *end, int bs)
{
	char	 q = *p++;

	while (p < end) {
		if (bs && *p == '\\') {
			if (end - p < 2)
				return NULL;
			p += 2;
			continue;
		}
		if (*p == q) {
			if (end - p >= 2 && p[1] == q) {
				p += 2;
				continue;
			}
			return p + 1;
		}
		p++;
	}
	return NULL;
}

/*
 * Past whitespace, comments (slash-star, "#", "-- ") and the marks of an
 * executable comment (slash-star-bang and its version, slash-star-M-bang,
 * star-slash: the text between counts).
 */
static const char *
skip_space(const char *p, const char *end)
{
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (end - p >= 2 && p[0] == '*' && p[1] == '/') {
			p += 2;
		} else if (end - p >= 3 && p[0] == '/' && p[1] == '*' &&
		    (p[2] == '!' || (p[2] == 'M' && end - p >= 4 &&
		    p[3] == '!'))) {
			for (p += p[2] == '!' ? 3 : 4; p < end &&
			    isdigit((unsigned char)*p); p++)
				;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char	*q = memmem(p + 2, (size_t)(end - p - 2),
					    "*/", 2);

			p = q != NULL ? q + 2 : end;
		} else if (p < end && (*p == '#' || (end - p >= 2 &&
		    p[0] == '-' && p[1] == '-' && (end - p == 2 ||
		    (unsigned char)p[2] <= ' ')))) {
			const char	*q = memchr(p, '\n', (size_t)(end - p));

			p = q != NULL ? q + 1 : end;
		} else
			return p;
	}
}

/* is the quoted name p..q (quotes included) db? */
static int
quoted_is(const char *p, const char *q, const char *db, size_t dlen)
{
	char	 qc = *p;
	size_t	 j = 0;

	for (p++, q--; p < q; p++, j++) {
		if (*p == qc)
			p++;	/* doubled */
		if (j >= dlen || !same_ci(*p, db[j]))
			return 0;
	}
	return j == dlen;
}

ssize_t
sqlscan_names_db(const char *stmt, size_t len, const char *db, int quoting)
{
	const char	*p = stmt, *end = stmt + len, *q;
	size_t		 dlen = strlen(db);
	int		 bs = !(quoting & SQLSCAN_NO_BS_ESCAPES);
	int		 ansi = quoting & SQLSCAN_ANSI_QUOTES;
	int		 hit;

	while ((p = skip_space(p, end)) < end) {
		if (*p == '`' || (*p == '"' && ansi)) {
			/* backslash is plain in a quoted name */
			if ((q = quoted_end(p, end, 0)) == NULL)
				return -1;
			hit = quoted_is(p, q, db, dlen);
		} else if (*p == '\'' || *p == '"') {
			if ((q = quoted_end(p, end, bs)) == NULL)
				return -1;
			p = q;
			continue;
		} else if (ident_byte(*p)) {
			size_t	 j = 0;
			int	 digits = 1;

			for (q = p; q < end && ident_byte(*q); q++, j++) {
				if (!isdigit((unsigned char)*q))
					digits = 0;
				if (j < dlen && !same_ci(*q, db[j]))
					j = dlen + 1;
			}
			/* a number is no name */
			hit = !digits && j == dlen;
		} else {
			p++;
			continue;
		}
		if (hit && (q = skip_space(q, end)) < end && *q == '.')
			return p - stmt;
		p = q;
	}
	return -1;
}

/* the word w (case-insensitive, whole) at *sp after space? then past it */
static int
head_word(const char **sp, const char *end, const char *w)
{
	const char	*p = skip_space(*sp, end);
	size_t		 n = strlen(w);

	if ((size_t)(end - p) < n || strncasecmp(p, w, n) != 0 ||
	    (p + n < end && ident_byte(p[n])))
		return 0;
	*sp = p + n;
	return 1;
}

/* one name (bare, `...` or "...") at *sp after space, cut to fit out */
static void
head_name(const char **sp, const char *end, char *out, size_t outlen)
{
	const char	*p = skip_space(*sp, end), *q;
	size_t		 o = 0;

	if (p < end && (*p == '`' || *p == '"')) {
		char		 qc = *p;
		const char	*stop;

		q = quoted_end(p, end, 0);
		stop = q != NULL ? q - 1 : end;		/* its closing quote */
		for (p++; p < stop; p++) {
			if (*p == qc)
				p++;	/* doubled */
			if (p < stop && o + 1 < outlen)
				out[o++] = *p;
		}
		p = q != NULL ? q : end;
	} else
		for (; p < end && ident_byte(*p); p++)
			if (o + 1 < outlen)
				out[o++] = *p;
	if (outlen > 0)
		out[o] = '\0';
	*sp = p;
}

int
sqlscan_create_object(const char *stmt, size_t len, char *kind,
    size_t kindlen, char *name, size_t namelen)
{
	static const char *const kinds[] = { "PROCEDURE", "FUNCTION",
	    "PACKAGE", "TRIGGER", "EVENT", "VIEW" };
	static const char *const others[] = { "TABLE", "DATABASE", "SCHEMA",
	    "INDEX", "UNIQUE", "FULLTEXT", "SPATIAL", "SEQUENCE", "USER",
	    "ROLE", "SERVER", "TEMPORARY", "TABLESPACE", "LOGFILE" };
	const char	*p = stmt, *end = stmt + len, *q;

	if (!head_word(&p, end, "create"))
		return 0;
	/* OR REPLACE, DEFINER = ..., ALGORITHM = ..., SQL SECURITY ...,
	 * AGGREGATE: a few tokens before the kind */
	for (int n = 0; n < 32 && (p = skip_space(p, end)) < end; n++) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (!head_word(&p, end, kinds[i]))
				continue;
			snprintf(kind, kindlen, "%s%s", kinds[i],
			    strcmp(kinds[i], "PACKAGE") == 0 &&
			    head_word(&p, end, "body") ? " BODY" : "");
			q = p;
			if (head_word(&q, end, "if") &&
			    head_word(&q, end, "not") &&
			    head_word(&q, end, "exists"))
				p = q;
			head_name(&p, end, name, namelen);
			if ((q = skip_space(p, end)) < end && *q == '.') {
				p = q + 1;	/* db.name */
				head_name(&p, end, name, namelen);
			}
			return 1;
		}
		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
			if (head_word(&p, end, others[i]))
				return 0;
		if (*p == '\'' || *p == '"' || *p == '`')
			p = (q = quoted_end(p, end, *p != '`')) != NULL ? q :
			    end;
		else if (ident_byte(*p))
			while (p < end && ident_byte(*p))
				p++;
		else
			p++;
	}
	return 0;
}
