/*
 * restore_mysql.h -- cairnctl restore of a cairn MySQL dump with its rows
 * loaded over several connections (docs/performance.md, docs/control.md).
 *
 * Contract
 *   - Pass 1 (restore.c's check pass) gives every sqlscan item of the dump
 *     to rplan_item(); the plan records the dump's header settings, each
 *     table's rows section (the lines between its "-- cairn table" and
 *     "-- cairn rows" markers) with the database it loads into, and the
 *     lines before which every load must have finished (anything but a
 *     comment or the next table's DROP/CREATE TABLE after a rows section:
 *     a trigger must not see the rows, nor a view, routine or event run
 *     before them).  rplan_unusable() says why a dump cannot be loaded this
 *     way (then restore.c streams it into one stock client as before).
 *   - rload_run() is pass 2: the stock client gets every line but the rows
 *     (the sandbox mode, DDL, triggers, routines, views, trailer, in order);
 *     jobs forked loaders each read the artifact again and send their
 *     share of each table's INSERT lines (round robin by statement) over
 *     their own libmariadb connection, configured from the client's option
 *     file, with the dump's header settings.  A table's rows start after
 *     the client has created it (a SELECT echo token syncs), and a barrier
 *     line waits for every loader.  Only INSERT statements, each checked
 *     in pass 1 to be exactly one line, go past the stock client.
 *   - Secondary keys after the rows (rplan_defer_keys()): the client gets
 *     an eligible table's CREATE TABLE without its plain KEY lines, and
 *     their ALTER TABLE once every loader has finished the table's rows.
 *   - Returns a CAIRN_E_* code; messages on stderr.  The plan owns its
 *     memory (rplan_free()); rload_run() ends every process it starts.
 */
#ifndef CAIRN_RESTORE_MYSQL_H
#define CAIRN_RESTORE_MYSQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/sqlscan.h"

typedef int	(*rload_sink_fn)(void *arg, const unsigned char *, size_t);
/* reads the artifact (decrypted, decompressed) into sink; 0 or -1 with a
 * message in err */
typedef int	(*rload_read_fn)(void *arg, rload_sink_fn sink, void *sink_arg,
		    char *err, size_t errlen);

struct rplan;

struct rplan	*rplan_new(void);
void		 rplan_free(struct rplan *);
int		 rplan_item(struct rplan *, const struct sqlscan_item *);
/*
 * Pass 1's bytes, through scan (whose items go to rplan_item()): the
 * INSERT lines of a rows section are checked by a fast path and passed by
 * the splitter.  -1 when such a line is not one plain statement: the
 * splitter missed it, so pass 1 must run again with a new plan and
 * splitter, and rplan_rescan() says so.
 */
int		 rplan_scan(struct rplan *, struct sqlscan *, const char *,
		    size_t);
bool		 rplan_rescan(const struct rplan *);
/* no fast path: every byte through the splitter */
void		 rplan_slow(struct rplan *);
/* the INSERT statements of the rows sections */
uint64_t	 rplan_statements(const struct rplan *);
/* NULL if the dump can be loaded in parallel, else the reason */
const char	*rplan_unusable(const struct rplan *);
/*
 * After pass 1: the tables whose plain KEY lines rload_run() leaves out of
 * their CREATE TABLE and adds by one ALTER TABLE through the client once
 * every loader has loaded the rows (restore_keys.h says which qualify; a
 * table needs rows and two plain keys; a database with a foreign key, or
 * a dump with one that may cross databases, defers none).  on false:
 * none.  Returns how many.
 */
unsigned	 rplan_defer_keys(struct rplan *, bool on);

struct rload_opts {
	const char	*client;	/* the stock client */
	const char	*cnf;		/* its --defaults-extra-file */
	const char	*database;	/* --database, or NULL */
	unsigned	 jobs;		/* loaders, >= 1 */
	rload_read_fn	 read_raw;	/* the dump as it is: for loaders */
	void		*read_raw_arg;
	rload_read_fn	 read_client;	/* the dump as the client gets it
					 * (--database rewritten) */
	void		*read_client_arg;
};

int	rload_run(const struct rplan *, const struct rload_opts *,
	    uint64_t *bytes);

#endif /* CAIRN_RESTORE_MYSQL_H */
