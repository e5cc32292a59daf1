/*
 * restore_rename.h -- what cairnctl restore --database cannot rename.
 *
 * Contract
 *   - --database OTHER rewrites a dump's CREATE DATABASE, USE and ALTER
 *     DATABASE lines, and cairn writes table names, views and grants
 *     unqualified; but a routine, package, trigger, event or view whose own
 *     text names the database it was created in as a qualifier (`src`.`t`,
 *     src.t, a call src.f()) would still read or write src after the
 *     rename.
 *   - Pass 1 (restore.c) gives every sqlscan item to rename_item() with the
 *     quoting it was read under; each such CREATE statement is noted (its
 *     line, kind and name; the first RENAME_KEEP).  The own database of an
 *     object: the one of the last USE or CREATE DATABASE before it, else
 *     the name on mysqldump's "-- Host: h    Database: X" header line,
 *     which the caller reads with rename_header() (the scanner does not
 *     see it as a line of its own).
 *     Erring on the side of a refusal: an object whose own database is not
 *     known, whose definition is longer than pass 1 keeps of a statement,
 *     or whose text is in another character set than UTF-8 while the
 *     name is not ASCII (its bytes there differ), counts as naming it.
 *   - rename_judge(), after pass 1 and before anything reaches the server,
 *     prints each object found and returns CAIRN_E_USAGE, or with --force
 *     a warning and CAIRN_E_OK.  Nothing is checked without --database or
 *     when it equals the own name.
 *   - Names are printed through util_vis().  No allocation, no I/O but
 *     the messages on stderr.
 */
#ifndef CAIRN_RESTORE_RENAME_H
#define CAIRN_RESTORE_RENAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/sqlscan.h"

#define RENAME_KEEP	8	/* objects named in the message */

enum rename_why {
	RENAME_NAMES,		/* its text names db */
	RENAME_NO_DB,		/* its own database is not known */
	RENAME_TOO_LONG,	/* not read whole */
	RENAME_CHARSET,		/* in a character set db cannot be sought in */
};

struct rename_check {
	const char	*target;	/* --database; NULL: nothing to do */
	char		 own[256];	/* the database of the last USE */
	bool		 have_own;
	char		 cs[32];	/* the client's character set, "" unknown */
	unsigned	 n;		/* objects found */
	struct rename_hit {
		uint64_t	 line;
		enum rename_why	 why;
		char		 kind[16];
		char		 name[256];
		char		 db[256];	/* the name it keeps; "" unknown */
		char		 cs[32];	/* RENAME_CHARSET: its set */
	}		 hit[RENAME_KEEP];
};

void	rename_init(struct rename_check *, const char *target);
/* a dump's line (n bytes): if mysqldump's header line and db is still
 * "", db gets the name on it */
void	rename_header(char *db, size_t dblen, const char *line, size_t n);
/* header_db: what rename_header() found so far ("" nothing) */
void	rename_item(struct rename_check *, const struct sqlscan_item *,
	    int quoting, const char *header_db);
int	rename_judge(const struct rename_check *, const char *rel, bool force);

#endif /* CAIRN_RESTORE_RENAME_H */
