/*
 * restore_rename.c -- the routines, triggers, events and views a restore
 * under another name (cairnctl restore --database) would leave naming the
 * source database (see restore_rename.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
note(struct rename_check *r, const struct sqlscan_item *it, const char *kind,
    const char *name, const char *db, ssize_t off, bool too_long)
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
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->db, sizeof(h->db), "%s", db != NULL ? db : "");
	h->too_long = too_long;
}

void
rename_item(struct rename_check *r, const struct sqlscan_item *it,
    int quoting, const char *header_db)
{
	char		 db[256], kind[16], name[256];
	const char	*own;
	ssize_t		 off;

	if (r->target == NULL)
		return;
	if (it->kind != SQLSCAN_STMT)
		return;
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
	if (own == NULL) {
		note(r, it, kind, name, NULL, 0, false);	/* unknown */
		return;
	}
	if (strcmp(own, r->target) == 0)
		return;
	if ((off = sqlscan_names_db(it->text, it->len, own, quoting)) != -1)
		note(r, it, kind, name, own, off, false);
	else if (it->cut)
		note(r, it, kind, name, own, 0, true);
}

int
rename_judge(const struct rename_check *r, const char *rel, bool force)
{
	char	 target[300], name[600], db[600], keeps[700];

	if (r->target == NULL || r->n == 0)
		return CAIRN_E_OK;
	util_vis(target, sizeof(target), r->target);
	for (unsigned i = 0; i < r->n && i < RENAME_KEEP; i++) {
		const struct rename_hit	*h = &r->hit[i];

		util_vis(name, sizeof(name), h->name);
		util_vis(db, sizeof(db), h->db);
		if (h->db[0] == '\0')
			cli_warnx("restore: %s: line %llu: %s `%s`: no USE "
			    "before it: cannot tell which database it names "
			    "as its own", rel, (unsigned long long)h->line,
			    h->kind, name);
		else if (h->too_long)
			cli_warnx("restore: %s: line %llu: %s `%s`: its "
			    "definition is longer than pass 1 reads of a "
			    "statement (1 MiB): it may name its own database "
			    "`%s`", rel,
			    (unsigned long long)h->line, h->kind, name, db);
		else
			cli_warnx("restore: %s: line %llu: %s `%s` names its "
			    "own database `%s`", rel,
			    (unsigned long long)h->line, h->kind, name, db);
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
