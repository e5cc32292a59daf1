/*
 * auditwatch.c -- the supervisor's watch on its own audit trail.
 *
 * At start-up the trail is checked against the anchor the catalog keeps
 * (seq and hash of the last line written): a trail deleted, cut short or
 * rewound is found, logged and audited as "audit-gap".  After that, every
 * write moves the anchor; a write that fails (a full disk) is logged as an
 * error and counted, and the loss is written into the trail as
 * "audit-lines-lost" as soon as a write succeeds again.  Either makes
 * `cairnctl health` fail, with the reason, until cairnd is restarted: a
 * hole in the record is for a person to look at.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/catalog.h"
#include "cairn/log.h"
#include "auditwatch.h"

static struct {
	struct catalog	*catalog;	/* borrowed */
	char		 path[PATH_MAX];	/* a copy: a reload frees the conf */
	uint64_t	 lost;		/* lines not written, not yet recorded */
	int		 in_hook;
	int		 anchor_warned;
	char		 problem[1024];
} aw;

static void
audit_watch_hook(struct audit *a, int err, void *arg)
{
	uint64_t	 lost;

	(void)arg;
	if (aw.in_hook)
		return;
	if (err != 0) {
		aw.lost++;
		snprintf(aw.problem, sizeof(aw.problem), "audit trail %.300s: %llu "
		    "line%s could not be written (%s)", aw.path,
		    (unsigned long long)aw.lost, aw.lost == 1 ? "" : "s",
		    strerror(err));
		log_warnx("%s", aw.problem);
		return;
	}
	if (aw.lost > 0) {
		lost = aw.lost;
		aw.lost = 0;
		aw.in_hook = 1;
		if (audit_write(a, "audit-lines-lost", AF_UINT("lines", lost))
		    == -1)
			aw.lost = lost;
		aw.in_hook = 0;
	}
	if (aw.catalog != NULL && catalog_audit_anchor_set(aw.catalog,
	    audit_seq(a), audit_head(a)) == -1 && !aw.anchor_warned++)
		log_warnx("%s", catalog_error(aw.catalog));
}

void
audit_watch_start(struct audit *a, struct catalog *c, const char *path)
{
	struct audit_report	 rep;
	uint64_t		 seq = 0;
	char			 head[65];
	int			 rc;

	aw.catalog = c;
	snprintf(aw.path, sizeof(aw.path), "%s", path);
	if ((rc = catalog_audit_anchor_get(c, &seq, head)) == -1)
		log_warnx("%s", catalog_error(c));
	else if (rc == 1 && audit_verify_from(path, seq, head, audit_seq(a),
	    &rep) == -1) {
		snprintf(aw.problem, sizeof(aw.problem), "audit trail %.300s: %s",
		    path, rep.reason);
		log_warnx("%s", aw.problem);
		if (audit_write(a, "audit-gap", AF_UINT("catalog_seq", seq),
		    AF_STR("catalog_head", head),
		    AF_UINT("trail_seq", audit_seq(a)),
		    AF_STR("reason", rep.reason)) == -1)
			log_warn("audit audit-gap");
	}
	audit_set_hook(a, audit_watch_hook, NULL);
	if (catalog_audit_anchor_set(c, audit_seq(a), audit_head(a)) == -1)
		log_warnx("%s", catalog_error(c));
}

const char *
audit_watch_problem(void)
{
	return aw.problem;
}
