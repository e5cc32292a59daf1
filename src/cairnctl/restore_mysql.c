/*
 * restore_mysql.c -- a cairn MySQL dump restored with its rows loaded over
 * several connections while the stock client runs everything else in
 * order (see restore_mysql.h for the contract, docs/performance.md for
 * the figures).
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "cairn/errors.h"
#include "cairn/util.h"
#include "cairnctl.h"
#include "restore_keys.h"
#include "restore_mysql.h"

#define HEADER_MAX	(16 * 1024)	/* bytes of header statements */
#define COMMIT_EVERY	32		/* INSERT statements a transaction */
/* plain keys a table needs for them to come after the rows: with one, the
 * ALTER alone after the loads cost what it saved (docs/performance.md) */
#define DEFER_MIN_KEYS	2
/* line 2 as sqlscan gives it: the client's \- switch taken out */
#define SANDBOX_LINE	"/*M!999999 enable the sandbox mode */"

/* -- the plan (pass 1) ---------------------------------------------------- */

struct rsect {
	uint64_t	 first;		/* its "-- cairn table" line */
	uint64_t	 last;		/* its "-- cairn rows" line */
	char		*db;		/* the database of the last USE */
	struct rkeys	 keys;		/* its CREATE's plain KEYs, if they
					 * can come after the rows */
	bool		 defer;		/* they do (rplan_defer_keys()) */
};

/* a line of a CREATE TABLE the client gets changed, if its table defers */
struct rop {
	uint64_t	 line;
	size_t		 sect;
	bool		 uncomma;	/* its last comma goes; else the line */
};

struct rplan {
	struct rsect	*sect;
	size_t		 nsect, sectcap;
	uint64_t	*barrier;	/* lines, ascending */
	size_t		 nbar, barcap;
	char		**hdr;		/* header statements, in order */
	size_t		 nhdr, hdrbytes;
	bool		 header_done;
	char		 db[256];
	bool		 have_db;
	bool		 in_sect;
	uint64_t	 expect;	/* the next line of a rows section */
	bool		 pending;	/* a section closed, no barrier yet */
	bool		 delim_plain;	/* the delimiter is ";" */
	char		 why[200];	/* unusable: the reason */
	/* secondary keys after the rows (restore_keys.h) */
	struct rkeys	 cand;		/* the last CREATE TABLE's */
	uint64_t	 cand_line;
	bool		 have_cand;
	struct rop	*ops;		/* ascending lines */
	size_t		 nops, opscap;
	char		**fkdb;		/* databases with a foreign key */
	size_t		 nfkdb;
	bool		 fk_any;	/* one may reach anywhere */
	/* rplan_scan(): the line being read */
	bool		 at_start;
	enum { LN_SCAN, LN_HEAD, LN_FAST } ln;
	char		 head[16];	/* LN_HEAD: its first bytes */
	size_t		 hlen;
	char		 quote;		/* LN_FAST: inside '...', "..." or `...` */
	bool		 esc, semi, bad, dash;
	bool		 fast_off;	/* a line failed: rescan without */
};

struct rplan *
rplan_new(void)
{
	struct rplan	*p = xcalloc(1, sizeof(*p));

	p->delim_plain = true;
	p->at_start = true;
	return p;
}

void
rplan_free(struct rplan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nsect; i++) {
		free(p->sect[i].db);
		rkeys_free(&p->sect[i].keys);
	}
	for (size_t i = 0; i < p->nhdr; i++)
		free(p->hdr[i]);
	for (size_t i = 0; i < p->nfkdb; i++)
		free(p->fkdb[i]);
	rkeys_free(&p->cand);
	free(p->ops);
	free(p->fkdb);
	free(p->sect);
	free(p->barrier);
	free(p->hdr);
	free(p);
}

static bool
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int
unusable(struct rplan *p, uint64_t line, const char *what)
{
	if (p->why[0] == '\0')
		snprintf(p->why, sizeof(p->why), "line %llu: %s",
		    (unsigned long long)line, what);
	return 0;
}

static int
plan_header(struct rplan *p, const struct sqlscan_item *it)
{
	const char	*t = it->text;

	if (has_prefix(t, SANDBOX_LINE))
		t += strlen(SANDBOX_LINE);
	t += strspn(t, " \t\r\n");
	if (*t == '\0')
		return 0;
	if (it->cut || !has_prefix(t, "/*!") ||
	    p->hdrbytes + strlen(t) > HEADER_MAX)
		return unusable(p, it->line, "an unexpected statement in the "
		    "dump's header");
	p->hdr = xreallocarray(p->hdr, p->nhdr + 1, sizeof(*p->hdr));
	p->hdr[p->nhdr++] = xstrdup(t);
	p->hdrbytes += strlen(t);
	return 0;
}

static void
plan_barrier(struct rplan *p, uint64_t line)
{
	if (!p->pending)
		return;
	if (p->nbar == p->barcap) {
		p->barcap = p->barcap ? 2 * p->barcap : 64;
		p->barrier = xreallocarray(p->barrier, p->barcap,
		    sizeof(*p->barrier));
	}
	p->barrier[p->nbar++] = line;
	p->pending = false;
}

static void
plan_op(struct rplan *p, uint64_t line, bool uncomma)
{
	if (p->nops == p->opscap) {
		p->opscap = p->opscap ? 2 * p->opscap : 64;
		p->ops = xreallocarray(p->ops, p->opscap, sizeof(*p->ops));
	}
	p->ops[p->nops].line = line;
	p->ops[p->nops].sect = p->nsect;
	p->ops[p->nops].uncomma = uncomma;
	p->nops++;
}

/* the CREATE TABLE just before this section: its keys go with it */
static void
plan_keys(struct rplan *p, struct rsect *sc)
{
	struct rkeys	*k = &p->cand;

	if (k->uncomma != 0)	/* it comes before every KEY line */
		plan_op(p, p->cand_line + k->uncomma, true);
	for (size_t i = 0; i < k->ndrop; i++)
		plan_op(p, p->cand_line + k->drop[i], false);
	sc->keys = *k;
	memset(k, 0, sizeof(*k));
}

/* a statement outside the rows: a CREATE TABLE's keys, foreign keys */
static void
plan_create(struct rplan *p, const struct sqlscan_item *it)
{
	char	 why[128];
	int	 fk;

	if ((fk = rkeys_foreign(it->text, it->len)) == RKEYS_FK_ANY ||
	    (fk == RKEYS_FK_LOCAL && !p->have_db))
		p->fk_any = true;
	else if (fk == RKEYS_FK_LOCAL) {
		bool	 known = false;

		for (size_t i = 0; i < p->nfkdb && !known; i++)
			known = strcmp(p->fkdb[i], p->db) == 0;
		if (!known) {
			p->fkdb = xreallocarray(p->fkdb, p->nfkdb + 1,
			    sizeof(*p->fkdb));
			p->fkdb[p->nfkdb++] = xstrdup(p->db);
		}
	}
	rkeys_free(&p->cand);
	p->have_cand = !it->cut && has_prefix(it->text, "CREATE TABLE ") &&
	    rkeys_table(it->text, it->len, &p->cand, why, sizeof(why)) == 1;
	p->cand_line = it->line;
}

static int
plan_section(struct rplan *p, uint64_t line, bool cand)
{
	if (!p->have_db || !p->header_done)
		return unusable(p, line, "a table's rows before any USE");
	if (!p->delim_plain)
		return unusable(p, line, "a table's rows under a DELIMITER "
		    "other than ;");
	if (p->nsect == p->sectcap) {
		p->sectcap = p->sectcap ? 2 * p->sectcap : 64;
		p->sect = xreallocarray(p->sect, p->sectcap, sizeof(*p->sect));
	}
	memset(&p->sect[p->nsect], 0, sizeof(p->sect[p->nsect]));
	p->sect[p->nsect].first = line;
	p->sect[p->nsect].last = 0;
	p->sect[p->nsect].db = xstrdup(p->db);
	if (cand)
		plan_keys(p, &p->sect[p->nsect]);
	p->nsect++;
	p->in_sect = true;
	p->expect = line + 1;
	return 0;
}

int
rplan_item(struct rplan *p, const struct sqlscan_item *it)
{
	char	 db[256];
	bool	 cand = p->have_cand;

	if (p->why[0] != '\0')
		return 0;
	p->have_cand = false;	/* only for the very next item */
	if (p->in_sect) {
		if (it->kind == SQLSCAN_COMMENT &&
		    has_prefix(it->text, "-- cairn rows ") &&
		    it->line == p->expect) {
			p->sect[p->nsect - 1].last = it->line;
			p->in_sect = false;
			p->pending = true;
			return 0;
		}
		/* a wrapped INSERT (a name with CR LF) is not sent as is */
		if (it->kind != SQLSCAN_STMT || it->line != p->expect ||
		    it->wrapped || !has_prefix(it->text, "INSERT INTO "))
			return unusable(p, it->line, "a table's rows are not "
			    "one INSERT statement a line");
		p->expect++;
		return 0;
	}
	switch (it->kind) {
	case SQLSCAN_COMMENT:
		if (has_prefix(it->text, "-- cairn table "))
			return plan_section(p, it->line, cand);
		if (has_prefix(it->text, "-- database "))
			p->header_done = true;
		return 0;
	case SQLSCAN_STMT:
		if (sqlscan_create_db(it->text, it->len, db, sizeof(db)) == 1)
			p->header_done = true;
		if (!p->header_done)
			return plan_header(p, it);
		if (strstr(it->text, "INSERT_HISTORY") != NULL)
			return unusable(p, it->line, "system-versioned history "
			    "(loaded in one stream)");
		if (sqlscan_use(it->text, it->len, db, sizeof(db)) == 1) {
			if (strpbrk(db, "\r\n") != NULL)
				return unusable(p, it->line, "a database name "
				    "with a line break");
			snprintf(p->db, sizeof(p->db), "%s", db);
			p->have_db = true;
		}
		if (!has_prefix(it->text, "DROP TABLE IF EXISTS ") &&
		    !has_prefix(it->text, "CREATE TABLE "))
			plan_barrier(p, it->line);
		plan_create(p, it);
		return 0;
	case SQLSCAN_DELIMITER:
		p->delim_plain = strcmp(it->text, ";") == 0;
		plan_barrier(p, it->line);
		return 0;
	default:
		plan_barrier(p, it->line);
		return 0;
	}
}

const char *
rplan_unusable(const struct rplan *p)
{
	if (p->why[0] != '\0')
		return p->why;
	if (p->in_sect)
		return "the last table's rows have no end marker";
	if (rplan_statements(p) < 2)
		return "fewer than two INSERT statements to share";
	return NULL;
}

unsigned
rplan_defer_keys(struct rplan *p, bool on)
{
	unsigned	 n = 0;

	for (size_t i = 0; i < p->nsect; i++) {
		struct rsect	*sc = &p->sect[i];
		bool		 fk = p->fk_any;

		for (size_t j = 0; j < p->nfkdb && !fk; j++)
			fk = strcmp(p->fkdb[j], sc->db) == 0;
		/* an empty table has no rows to load first */
		sc->defer = on && !fk && sc->keys.alter != NULL &&
		    sc->keys.nkeys >= DEFER_MIN_KEYS &&
		    sc->last > sc->first + 1;
		n += sc->defer;
	}
	return n;
}

uint64_t
rplan_statements(const struct rplan *p)
{
	uint64_t	 n = 0;

	for (size_t i = 0; i < p->nsect; i++)
		n += p->sect[i].last - p->sect[i].first - 1;
	return n;
}

/*
 * The fast path of pass 1: a line inside a rows section that starts with
 * "INSERT INTO " is checked here to be exactly one statement under the
 * default quoting (quotes balanced, backslash escapes in '...' and "...",
 * nothing outside them that the client reads as a comment or a command,
 * one ";" at its end) and passed by the splitter, at memchr speed.
 */
#define INSERT_HEAD	"INSERT INTO "

static void
fast_bytes(struct rplan *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !p->bad; i++) {
		char	 c = s[i];

		if (p->esc) {
			p->esc = false;
			continue;
		}
		if (p->quote != '\0') {
			/* to the next quote or backslash */
			const char	*e = s + n, *q = s + i;

			while (q < e && *q != p->quote && *q != '\\')
				q++;
			i = (size_t)(q - s);
			if (i == n)
				break;
			if (*q == '\\' && p->quote != '`')
				p->esc = true;
			else if (*q == p->quote)
				p->quote = '\0';	/* '' reopens at once */
			continue;
		}
		if (p->semi) {
			p->bad = strchr(" \t\r", c) == NULL;
			continue;
		}
		if (c == '-' && p->dash) {
			p->bad = true;	/* "--": a comment to the client */
			break;
		}
		p->dash = c == '-';
		switch (c) {
		case '\'': case '"': case '`':
			p->quote = c;
			break;
		case ';':
			p->semi = true;
			break;
		case '\\': case '#': case '/': case '\r':
			p->bad = true;
			break;
		}
	}
}

/* the end of a fast line: one statement, or the whole scan again */
static int
fast_end(struct rplan *p, struct sqlscan *scan)
{
	if (p->bad || !p->semi || p->quote != '\0' || p->esc) {
		p->fast_off = true;
		return -1;
	}
	sqlscan_skip_line(scan);
	p->expect++;
	return 0;
}

int
rplan_scan(struct rplan *p, struct sqlscan *scan, const char *s, size_t n)
{
	while (n > 0) {
		const char	*nl = memchr(s, '\n', n);
		size_t		 k = nl != NULL ? (size_t)(nl - s) : n;

		if (p->at_start) {
			p->at_start = false;
			p->ln = LN_SCAN;
			if (!p->fast_off && p->in_sect && p->why[0] == '\0' &&
			    sqlscan_plain(scan)) {
				p->ln = LN_HEAD;
				p->hlen = 0;
			}
		}
		if (p->ln == LN_HEAD) {
			/* hold the first bytes until they tell */
			size_t	 want = strlen(INSERT_HEAD) - p->hlen;
			size_t	 take = k < want ? k : want;

			memcpy(p->head + p->hlen, s, take);
			p->hlen += take;
			s += take;
			n -= take;
			k -= take;
			if (p->hlen == strlen(INSERT_HEAD) &&
			    memcmp(p->head, INSERT_HEAD, p->hlen) == 0) {
				p->ln = LN_FAST;
				p->quote = '\0';
				p->esc = p->semi = p->bad = p->dash = false;
			} else if (p->hlen == strlen(INSERT_HEAD) ||
			    memcmp(p->head, INSERT_HEAD, p->hlen) != 0 ||
			    nl != NULL) {
				p->ln = LN_SCAN;
				(void)sqlscan_feed(scan, p->head, p->hlen);
			} else
				continue;	/* more of the head to come */
		}
		if (p->ln == LN_FAST) {
			fast_bytes(p, s, k);
			if (nl != NULL && fast_end(p, scan) == -1)
				return -1;
		} else
			(void)sqlscan_feed(scan, s, nl != NULL ? k + 1 : k);
		if (nl != NULL) {
			p->at_start = true;
			k++;
		}
		s += k;
		n -= k;
	}
	return 0;
}

bool
rplan_rescan(const struct rplan *p)
{
	return p->fast_off;
}

void
rplan_slow(struct rplan *p)
{
	p->fast_off = true;
}

/* -- loaders ------------------------------------------------------------ */

struct loader {
	unsigned		 idx, jobs;
	const struct rplan	*p;
	const char		*rename;	/* --database */
	MYSQL			*m;
	int			 go_fd, done_fd;
	size_t			 gone;		/* go bytes read */
	size_t			 s;		/* the current/next section */
	bool			 in;		/* inside section s */
	uint64_t		 nth;		/* its statements so far */
	unsigned		 uncommitted;	/* INSERTs since the last COMMIT */
	uint64_t		 line;		/* the current line */
	bool			 at_start;
	bool			 mine;		/* this line is ours */
	const char		*curdb;
	char			*buf;
	size_t			 len, cap;
};

static int
loader_fail(struct loader *L, const char *what)
{
	fprintf(stderr, "cairnctl: restore: loader %u: line %llu: %s: %s\n",
	    L->idx + 1, (unsigned long long)L->line, what,
	    mysql_error(L->m));
	return -1;
}

/* at the start of line L->line */
static int
loader_line(struct loader *L)
{
	const struct rsect	*sc;
	const char		*db;
	char			 b;

	L->mine = false;
	if (L->s >= L->p->nsect)
		return 0;
	sc = &L->p->sect[L->s];
	if (!L->in && L->line == sc->first) {
		/* the client has created the table: go */
		while (L->gone <= L->s) {
			ssize_t	 r = read(L->go_fd, &b, 1);

			if (r == -1 && errno == EINTR)
				continue;
			if (r != 1)
				return -1;	/* the restore stopped */
			L->gone++;
		}
		db = L->rename != NULL ? L->rename : sc->db;
		if (L->curdb == NULL || strcmp(L->curdb, db) != 0) {
			if (mysql_select_db(L->m, db) != 0)
				return loader_fail(L, "USE");
			L->curdb = db;
		}
		L->in = true;
		L->nth = 0;
	} else if (L->in && L->line == sc->last) {
		if (L->uncommitted > 0 && mysql_commit(L->m) != 0)
			return loader_fail(L, "COMMIT");
		L->uncommitted = 0;
		b = 'd';
		if (util_write_all(L->done_fd, &b, 1) == -1)
			return -1;
		L->in = false;
		L->s++;
	} else if (L->in) {
		/* a contiguous share of the table's statements each (each
		 * loader appends to its own key range, no page ping-pong),
		 * the first share to another loader at each table */
		uint64_t	 n = sc->last - sc->first - 1;

		L->mine = (L->nth * L->jobs / n + L->s) % L->jobs == L->idx;
		L->nth++;
	}
	return 0;
}

static int
loader_exec(struct loader *L)
{
	size_t	 n = L->len;

	while (n > 0 && strchr(" \t\r\n", L->buf[n - 1]) != NULL)
		n--;
	if (n > 0 && L->buf[n - 1] == ';')
		n--;
	L->len = 0;
	if (mysql_real_query(L->m, L->buf, n) != 0)
		return loader_fail(L, "INSERT");
	if (++L->uncommitted == COMMIT_EVERY) {
		if (mysql_commit(L->m) != 0)
			return loader_fail(L, "COMMIT");
		L->uncommitted = 0;
	}
	return 0;
}

static int
loader_sink(void *arg, const unsigned char *p, size_t n)
{
	struct loader	*L = arg;
	const char	*s = (const char *)p;

	while (n > 0) {
		const char	*nl;
		size_t		 k;

		if (L->at_start) {
			L->line++;
			L->at_start = false;
			if (loader_line(L) == -1)
				return -1;
		}
		nl = memchr(s, '\n', n);
		k = nl != NULL ? (size_t)(nl - s) + 1 : n;
		if (L->mine) {
			if (L->len + k > L->cap) {
				while (L->len + k > L->cap)
					L->cap = L->cap ? 2 * L->cap : 1 << 20;
				L->buf = xreallocarray(L->buf, L->cap, 1);
			}
			memcpy(L->buf + L->len, s, k);
			L->len += k;
		}
		if (nl != NULL) {
			L->at_start = true;
			if (L->mine && loader_exec(L) == -1)
				return -1;
			L->mine = false;
		}
		s += k;
		n -= k;
	}
	return 0;
}

static MYSQL *
loader_connect(const struct rload_opts *o, const struct rplan *p, unsigned idx)
{
	MYSQL	*m;

	if ((m = mysql_init(NULL)) == NULL)
		return NULL;
	mysql_options(m, MYSQL_READ_DEFAULT_FILE, o->cnf);
	mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
	if (mysql_real_connect(m, NULL, NULL, NULL, NULL, 0, NULL, 0) ==
	    NULL) {
		fprintf(stderr, "cairnctl: restore: loader %u: cannot "
		    "connect: %s\n", idx + 1, mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	/* a transaction per COMMIT_EVERY statements, not one each */
	if (mysql_autocommit(m, 0) != 0) {
		fprintf(stderr, "cairnctl: restore: loader %u: autocommit: "
		    "%s\n", idx + 1, mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	/* the dump's session: character set, time zone, sql_mode, checks */
	for (size_t i = 0; i < p->nhdr; i++) {
		if (mysql_query(m, p->hdr[i]) != 0) {
			fprintf(stderr, "cairnctl: restore: loader %u: %s: "
			    "%s\n", idx + 1, p->hdr[i], mysql_error(m));
			mysql_close(m);
			return NULL;
		}
	}
	return m;
}

static void
loader_main(const struct rplan *p, const struct rload_opts *o, unsigned idx,
    int go_fd, int done_fd)
{
	struct loader	 L;
	char		 err[1024];
	int		 rc = 1;

	memset(&L, 0, sizeof(L));
	L.idx = idx;
	L.jobs = o->jobs;
	L.p = p;
	L.rename = o->database;
	L.go_fd = go_fd;
	L.done_fd = done_fd;
	L.at_start = true;
	if ((L.m = loader_connect(o, p, idx)) == NULL)
		_exit(1);
	if (o->read_raw(o->read_raw_arg, loader_sink, &L, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			fprintf(stderr, "cairnctl: restore: loader %u: %s\n",
			    idx + 1, err);
	} else if (L.s == p->nsect)
		rc = 0;
	mysql_close(L.m);
	free(L.buf);
	_exit(rc);
}

/* -- the stock client and the barriers ---------------------------------- */

struct run {
	const struct rplan	*p;
	unsigned		 jobs;
	pid_t			*pids;		/* loaders */
	int			*go;		/* write ends */
	int			*done;		/* read ends */
	size_t			*ndone;
	pid_t			 mpid;		/* the client */
	int			 in, out;	/* its stdin, stdout */
	char			 obuf[4096];
	size_t			 olen;
	bool			 out_eof;
	char			 token[64];	/* the sync token awaited */
	bool			 token_seen;
	unsigned		 nsync;
	/* the client's stream */
	uint64_t		 line;
	bool			 at_start, drop, in_sect;
	size_t			 s, b, closed;
	uint64_t		 bytes;
	size_t			 op;		/* the next of p->ops */
	bool			 uncomma;	/* this line loses its comma */
	char			*held;		/* it, until its newline */
	size_t			 hlen, hcap;
};

/* one line of the client's output: a token, or passed on */
static void
out_line(struct run *r, const char *s, size_t n)
{
	if (r->token[0] != '\0' && n >= strlen(r->token) &&
	    memcmp(s + n - strlen(r->token), r->token, strlen(r->token)) == 0) {
		r->token_seen = true;
		return;
	}
	if (memmem(s, n, "cairn_sync", 10) != NULL ||
	    memmem(s, n, "cairn-sync-", 11) != NULL)
		return;
	fwrite(s, 1, n, stdout);
	fputc('\n', stdout);
}

/* reads what the client has written; -1 on a read error */
static int
out_drain(struct run *r)
{
	for (;;) {
		ssize_t	 k;
		char	*nl;

		if (r->olen == sizeof(r->obuf)) {
			/* a long line: passed on in pieces */
			fwrite(r->obuf, 1, r->olen, stdout);
			r->olen = 0;
		}
		k = read(r->out, r->obuf + r->olen, sizeof(r->obuf) - r->olen);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && errno == EAGAIN)
			return 0;
		if (k <= 0) {
			r->out_eof = true;
			return k == 0 ? 0 : -1;
		}
		r->olen += (size_t)k;
		while ((nl = memchr(r->obuf, '\n', r->olen)) != NULL) {
			size_t	 n = (size_t)(nl - r->obuf);

			out_line(r, r->obuf, n);
			memmove(r->obuf, nl + 1, r->olen - n - 1);
			r->olen -= n + 1;
		}
	}
}

/* writes to the client's stdin while reading its stdout */
static int
m_write(struct run *r, const char *s, size_t n)
{
	while (n > 0) {
		struct pollfd	 pf[2] = {
			{ .fd = r->in, .events = POLLOUT },
			{ .fd = r->out_eof ? -1 : r->out, .events = POLLIN },
		};
		ssize_t		 k;

		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((pf[1].revents & (POLLIN | POLLHUP)) && out_drain(r) == -1)
			return -1;
		if ((pf[0].revents & (POLLERR | POLLHUP)) != 0 &&
		    (pf[0].revents & POLLOUT) == 0)
			return -1;	/* the client is gone */
		if ((pf[0].revents & POLLOUT) == 0)
			continue;
		k = write(r->in, s, n);
		if (k == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k == -1)
			return -1;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* until the client has run everything sent so far */
static int
m_sync(struct run *r)
{
	char	 q[128];

	snprintf(r->token, sizeof(r->token), "cairn-sync-%u", ++r->nsync);
	r->token_seen = false;
	snprintf(q, sizeof(q), "SELECT '%s' AS cairn_sync;\n", r->token);
	if (m_write(r, q, strlen(q)) == -1)
		return -1;
	while (!r->token_seen) {
		struct pollfd	 pf = { .fd = r->out, .events = POLLIN };

		if (r->out_eof)
			return -1;
		if (poll(&pf, 1, -1) == -1 && errno != EINTR)
			return -1;
		if (out_drain(r) == -1)
			return -1;
	}
	r->token[0] = '\0';
	return 0;
}

/* until every loader has finished the first n sections */
static int
wait_loaders(struct run *r, size_t n)
{
	char	 b;

	for (unsigned j = 0; j < r->jobs; j++) {
		while (r->ndone[j] < n) {
			ssize_t	 k = read(r->done[j], &b, 1);

			if (k == -1 && errno == EINTR)
				continue;
			if (k != 1)
				return -1;	/* it failed: its message */
			r->ndone[j]++;
		}
	}
	return 0;
}

/* after a deferring table's rows: its keys, once every loader is done */
static int
m_keys(struct run *r, const struct rsect *sc)
{
	if (wait_loaders(r, r->closed) == -1)
		return -1;
	return m_write(r, sc->keys.alter, strlen(sc->keys.alter));
}

/* a line of a CREATE TABLE whose plain KEYs come after the rows */
static void
m_op(struct run *r)
{
	const struct rplan	*p = r->p;
	const struct rop	*op;

	r->uncomma = false;
	while (r->op < p->nops && p->ops[r->op].line < r->line)
		r->op++;
	if (r->op == p->nops || (op = &p->ops[r->op])->line != r->line ||
	    !p->sect[op->sect].defer)
		return;
	if (op->uncomma)
		r->uncomma = true;
	else
		r->drop = true;
}

/* the line that loses its comma, held until its newline */
static int
m_uncomma(struct run *r, const char *s, size_t k, bool eol)
{
	if (r->hlen + k > r->hcap) {
		while (r->hlen + k > r->hcap)
			r->hcap = r->hcap ? 2 * r->hcap : 256;
		r->held = xreallocarray(r->held, r->hcap, 1);
	}
	memcpy(r->held + r->hlen, s, k);
	r->hlen += k;
	if (!eol)
		return 0;
	/* checked in pass 1: it ends ",\n" */
	if (r->hlen >= 2 && r->held[r->hlen - 2] == ',') {
		r->held[r->hlen - 2] = '\n';
		r->hlen--;
	}
	k = r->hlen;
	r->hlen = 0;
	return m_write(r, r->held, k);
}

static int
m_line(struct run *r)
{
	const struct rplan	*p = r->p;
	char			 b = 'g';

	while (r->b < p->nbar && p->barrier[r->b] <= r->line) {
		if (wait_loaders(r, r->closed) == -1)
			return -1;
		r->b++;
	}
	if (r->s < p->nsect && !r->in_sect && r->line == p->sect[r->s].first) {
		if (m_sync(r) == -1)
			return -1;
		for (unsigned j = 0; j < r->jobs; j++)
			if (util_write_all(r->go[j], &b, 1) == -1)
				return -1;
		r->in_sect = true;
		r->drop = false;
	} else if (r->in_sect && r->line == p->sect[r->s].last) {
		r->in_sect = false;
		r->drop = false;
		r->closed = ++r->s;
		if (p->sect[r->s - 1].defer &&
		    m_keys(r, &p->sect[r->s - 1]) == -1)
			return -1;
	} else
		r->drop = r->in_sect;
	if (!r->in_sect)
		m_op(r);
	return 0;
}

static int
m_sink(void *arg, const unsigned char *p, size_t n)
{
	struct run	*r = arg;
	const char	*s = (const char *)p;

	r->bytes += n;
	while (n > 0) {
		const char	*nl;
		size_t		 k;

		if (r->at_start) {
			r->line++;
			r->at_start = false;
			if (m_line(r) == -1)
				return -1;
		}
		nl = memchr(s, '\n', n);
		k = nl != NULL ? (size_t)(nl - s) + 1 : n;
		if (r->uncomma) {
			if (m_uncomma(r, s, k, nl != NULL) == -1)
				return -1;
		} else if (!r->drop && m_write(r, s, k) == -1)
			return -1;
		r->at_start = nl != NULL;
		s += k;
		n -= k;
	}
	return 0;
}

/* -- the run ------------------------------------------------------------ */

static int
start_loaders(struct run *r, const struct rload_opts *o)
{
	for (unsigned j = 0; j < r->jobs; j++) {
		int	 go[2], done[2];

		if (pipe2(go, O_CLOEXEC) == -1)
			return -1;
		if (pipe2(done, O_CLOEXEC) == -1) {
			close(go[0]);
			close(go[1]);
			return -1;
		}
		fflush(stdout);
		if ((r->pids[j] = fork()) == -1) {
			close(go[0]);
			close(go[1]);
			close(done[0]);
			close(done[1]);
			return -1;
		}
		if (r->pids[j] == 0) {
			/* the other loaders' pipes: theirs alone */
			for (unsigned i = 0; i < j; i++) {
				close(r->go[i]);
				close(r->done[i]);
			}
			close(go[1]);
			close(done[0]);
			signal(SIGPIPE, SIG_IGN);
			loader_main(r->p, o, j, go[0], done[1]);
		}
		close(go[0]);
		close(done[1]);
		r->go[j] = go[1];
		r->done[j] = done[0];
	}
	return 0;
}

static int
start_client(struct run *r, const struct rload_opts *o)
{
	int	 in[2], out[2];
	char	*arg;

	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	arg = xasprintf("--defaults-extra-file=%s", o->cnf);
	fflush(stdout);
	if ((r->mpid = fork()) == 0) {
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1)
			_exit(CAIRN_E_OSERR);
		execl(o->client, o->client, arg, "--batch", "--unbuffered",
		    (char *)NULL);
		fprintf(stderr, "cairnctl: restore: %s: %s\n", o->client,
		    strerror(errno));
		_exit(127);
	}
	free(arg);
	close(in[0]);
	close(out[1]);
	if (r->mpid == -1) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	r->in = in[1];
	r->out = out[0];
	(void)fcntl(r->in, F_SETFL, fcntl(r->in, F_GETFL) | O_NONBLOCK);
	(void)fcntl(r->out, F_SETFL, fcntl(r->out, F_GETFL) | O_NONBLOCK);
	return 0;
}

static bool
exited_ok(pid_t pid, const char *who)
{
	int	 st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return false;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	cli_warnx("restore: %s %s %d (see its message above)", who,
	    WIFEXITED(st) ? "exited" : "killed by signal",
	    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return false;
}

int
rload_run(const struct rplan *p, const struct rload_opts *o, uint64_t *bytes)
{
	struct run	 r;
	char		 err[1024];
	int		 code = CAIRN_E_OK;
	bool		 failed = false;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.jobs = o->jobs;
	r.pids = xcalloc(r.jobs, sizeof(*r.pids));
	r.go = xcalloc(r.jobs, sizeof(*r.go));
	r.done = xcalloc(r.jobs, sizeof(*r.done));
	r.ndone = xcalloc(r.jobs, sizeof(*r.ndone));
	r.in = r.out = -1;
	r.mpid = -1;
	r.at_start = true;
	for (unsigned j = 0; j < r.jobs; j++) {
		r.pids[j] = -1;
		r.go[j] = r.done[j] = -1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (start_loaders(&r, o) == -1 || start_client(&r, o) == -1) {
		cli_warnx("restore: cannot start the loaders: %s",
		    strerror(errno));
		failed = true;
		code = CAIRN_E_OSERR;
	}
	err[0] = '\0';
	if (!failed && (o->read_client(o->read_client_arg, m_sink, &r, err,
	    sizeof(err)) == -1 || wait_loaders(&r, p->nsect) == -1)) {
		if (err[0] != '\0')
			cli_warnx("restore: %s", err);
		failed = true;
		code = CAIRN_E_FAIL;
	}
	if (r.in != -1)
		close(r.in);
	while (r.out != -1 && !r.out_eof) {
		struct pollfd	 pf = { .fd = r.out, .events = POLLIN };

		if ((poll(&pf, 1, -1) == -1 && errno != EINTR) ||
		    out_drain(&r) == -1)
			break;
	}
	if (r.olen > 0)
		fwrite(r.obuf, 1, r.olen, stdout);
	if (r.out != -1)
		close(r.out);
	if (r.mpid > 0 && !exited_ok(r.mpid, o->client))
		code = CAIRN_E_FAIL;
	for (unsigned j = 0; j < r.jobs; j++) {
		if (r.go[j] != -1)
			close(r.go[j]);
		if (r.done[j] != -1)
			close(r.done[j]);
		if (r.pids[j] <= 0)
			continue;
		if (failed) {
			kill(r.pids[j], SIGTERM);
			while (waitpid(r.pids[j], NULL, 0) == -1 &&
			    errno == EINTR)
				;
			continue;
		}
		snprintf(err, sizeof(err), "loader %u", j + 1);
		if (!exited_ok(r.pids[j], err))
			code = CAIRN_E_FAIL;
	}
	*bytes = r.bytes;
	free(r.held);
	free(r.pids);
	free(r.go);
	free(r.done);
	free(r.ndone);
	return code;
}
