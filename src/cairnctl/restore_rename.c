/*
 * restore_rename.c -- the routines, triggers, events and views a restore
 * under another name (cairnctl restore --database) would leave naming the
 * source database (see restore_rename.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cairn/errors.h"
#include "cairn/sqlscan.h"
#include "cairn/util.h"
#include "cairnctl.h"
#include "restore_rename.h"

#define HOST_LINE	"-- Host: "
#define HOST_DB		"Database: "

void
rename_init(struct rename_check *r, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->target = target;
}

void
rename_header(char *db, size_t dblen, const char *line, size_t n)
{
	const char	*p, *end = line + n;

	if (db[0] != '\0' || n < strlen(HOST_LINE) ||
	    strncmp(line, HOST_LINE, strlen(HOST_LINE)) != 0 ||
	    (p = memmem(line, n, HOST_DB, strlen(HOST_DB))) == NULL)
		return;
	p += strlen(HOST_DB);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	snprintf(db, dblen, "%.*s", (int)(end - p), p);
}

static void
note(struct rename_check *r, const struct sqlscan_item *it,
    enum rename_why why, const char *kind, const char *name, const char *db,
    ssize_t off)
{
	struct rename_hit	*h;
	uint64_t		 line = it->line;

	if (r->n++ >= RENAME_KEEP)
		return;
	for (ssize_t i = 0; i < off; i++)
		if (it->text[i] == '\n')
			line++;
	h = &r->hit[r->n - 1];
	h->line = line;
	h->why = why;
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->db, sizeof(h->db), "%s", db != NULL ? db : "");
	snprintf(h->cs, sizeof(h->cs), "%s", r->cs);
}

/*
 * SET NAMES x, SET character_set_client = 'x' (also in an executable
 * comment): the character set the client sends what follows in, so the
 * one the server keeps an object's text in and the dump writes it back in.
 */
static void
track_charset(struct rename_check *r, const char *p)
{
	const char	*q;
	size_t		 n;

	if (strncmp(p, "/*!", 3) == 0)
		p += 3 + strspn(p + 3, "0123456789");
	p += strspn(p, " \t\r\n");
	if (strncasecmp(p, "SET", 3) != 0 || strchr(" \t\r\n", p[3]) == NULL)
		return;
	p += 3 + strspn(p + 3, " \t\r\n");
	if (strncasecmp(p, "NAMES", 5) == 0 && strchr(" \t\r\n", p[5]) != NULL)
		p += 5;
	else if ((q = strcasestr(p, "character_set_client")) != NULL) {
		p = q + strlen("character_set_client");
		p += strspn(p, " \t\r\n");
		if (*p++ != '=')
			return;
	} else
		return;
	p += strspn(p, " \t\r\n'\"`");
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_");
	snprintf(r->cs, sizeof(r->cs), "%.*s", (int)n, p);
}

/* can db be sought byte for byte in text sent in the character set cs? */
static bool
comparable(const char *db, const char *cs)
{
	for (const char *p = db; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return strncasecmp(cs, "utf8", 4) == 0;
	return true;	/* ASCII reads the same in every client set */
}

void
rename_item(struct rename_check *r, const struct sqlscan_item *it,
    int quoting, const char *header_db)
{
	char		 db[256], kind[16], name[256];
	const char	*own;
	ssize_t		 off;

	if (r->target == NULL || it->kind != SQLSCAN_STMT)
		return;
	track_charset(r, it->text);
	if (sqlscan_use(it->text, it->len, db, sizeof(db)) == 1 ||
	    sqlscan_create_db(it->text, it->len, db, sizeof(db)) == 1) {
		snprintf(r->own, sizeof(r->own), "%s", db);
		r->have_own = true;
		return;
	}
	if (sqlscan_create_object(it->text, it->len, kind, sizeof(kind), name,
	    sizeof(name)) != 1)
		return;
	own = r->have_own ? r->own : header_db[0] != '\0' ? header_db : NULL;
	if (own == NULL)
		note(r, it, RENAME_NO_DB, kind, name, NULL, 0);
	else if (strcmp(own, r->target) == 0)
		return;
	else if ((off = sqlscan_names_db(it->text, it->len, own,
	    quoting)) != -1)
		note(r, it, RENAME_NAMES, kind, name, own, off);
	else if (!comparable(own, r->cs))
		note(r, it, RENAME_CHARSET, kind, name, own, 0);
	else if (it->cut)
		note(r, it, RENAME_TOO_LONG, kind, name, own, 0);
}

int
rename_judge(const struct rename_check *r, const char *rel, bool force)
{
	char	 target[300], name[600], db[600], cs[100], keeps[700];

	if (r->target == NULL || r->n == 0)
		return CAIRN_E_OK;
	util_vis(target, sizeof(target), r->target);
	for (unsigned i = 0; i < r->n && i < RENAME_KEEP; i++) {
		const struct rename_hit	*h = &r->hit[i];

		util_vis(name, sizeof(name), h->name);
		util_vis(db, sizeof(db), h->db);
		switch (h->why) {
		case RENAME_NO_DB:
			cli_warnx("restore: %s: line %llu: %s `%s`: no USE "
			    "before it: cannot tell which database it names "
			    "as its own", rel, (unsigned long long)h->line,
			    h->kind, name);
			break;
		case RENAME_TOO_LONG:
			cli_warnx("restore: %s: line %llu: %s `%s`: its "
			    "definition is longer than pass 1 reads of a "
			    "statement (1 MiB): it may name its own database "
			    "`%s`", rel, (unsigned long long)h->line, h->kind,
			    name, db);
			break;
		case RENAME_CHARSET:
			util_vis(cs, sizeof(cs), h->cs[0] != '\0' ? h->cs :
			    "unknown");
			cli_warnx("restore: %s: line %llu: %s `%s`: written in "
			    "character set %s, in which the name `%s` cannot be "
			    "sought: it may name its own database", rel,
			    (unsigned long long)h->line, h->kind, name, cs, db);
			break;
		case RENAME_NAMES:
			cli_warnx("restore: %s: line %llu: %s `%s` names its "
			    "own database `%s`", rel,
			    (unsigned long long)h->line, h->kind, name, db);
			break;
		}
	}
	if (r->n > RENAME_KEEP)
		cli_warnx("restore: %s: and %u more", rel,
		    r->n - RENAME_KEEP);
	/* the first object's database: one dump, one own database */
	util_vis(db, sizeof(db), r->hit[0].db);
	if (db[0] != '\0')
		snprintf(keeps, sizeof(keeps), "%s naming `%s`", r->n == 1 ?
		    "its body keeps" : "their bodies keep", db);
	else
		snprintf(keeps, sizeof(keeps), "%s", r->n == 1 ?
		    "its body stays as it is" : "their bodies stay as they are");
	if (force) {
		cli_warnx("restore: %s: --database %s: restoring anyway "
		    "(--force): %s", rel, target, keeps);
		return CAIRN_E_OK;
	}
	cli_warnx("restore: %s: --database %s cannot rename what %s: restore "
	    "it under its own name (without --database), or use --force to "
	    "restore it anyway (%s)", rel, target, r->n == 1 ?
	    "this body names" : "these bodies name", keeps);
	return CAIRN_E_USAGE;
}
