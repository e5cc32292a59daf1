/*
 * auditwatch.h -- the audit trail against the catalog's anchor.
 *
 * Contract
 *   - audit_watch_start() checks the trail at start-up and keeps the anchor
 *     moving as records are written; audit_watch_problem() is "" or why the
 *     trail has a hole (health fails on it).
 */
#ifndef CAIRN_AUDITWATCH_H
#define CAIRN_AUDITWATCH_H

struct audit;
struct catalog;

/*
 * auditwatch.c: checks the trail against the catalog's anchor at start-up
 * and keeps the anchor moving; "" or why the trail has a hole (health
 * fails on it).
 */
void		 audit_watch_start(struct audit *, struct catalog *,
		    const char *path);
const char	*audit_watch_problem(void);

#endif /* CAIRN_AUDITWATCH_H */
