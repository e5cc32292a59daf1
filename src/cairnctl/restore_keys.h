/*
 * restore_keys.h -- which secondary keys of a dumped CREATE TABLE the
 * parallel restore may add after the rows (docs/performance.md,
 * "Secondary keys after the rows").
 *
 * Contract
 *   - rkeys_table() reads one CREATE TABLE statement as the server's SHOW
 *     CREATE TABLE gives it (one column or key a line, two spaces in
 *     front) and says whether its plain KEY lines can be left out of the
 *     CREATE and added back by one ALTER TABLE after the rows.  Only lines
 *     that start outside every quoted identifier and string count: a name
 *     holding a line break and "  KEY ..." stays part of its line.  When
 *     in doubt it says no: InnoDB only; no FULLTEXT, SPATIAL, VECTOR or
 *     hash key, no partitions, no system versioning, no foreign key, no
 *     comment, no backslash in a string, no line it does not know, an
 *     AUTO_INCREMENT column only with a PRIMARY or UNIQUE key led by it.
 *     Keys keep their order: the server sorts PRIMARY and UNIQUE keys
 *     before plain ones and keeps plain ones in the order given, so SHOW
 *     CREATE TABLE after the ALTER is the dump's.
 *   - Line numbers are counted from the statement's first line (0); the
 *     caller adds the line the statement starts on.
 *   - rkeys_foreign() tells whether a statement declares a foreign key,
 *     and whether one may reach into another database.
 *   - Pure memory work.  The caller owns *k and frees it (rkeys_free()).
 */
#ifndef CAIRN_RESTORE_KEYS_H
#define CAIRN_RESTORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct rkeys {
	uint64_t	*drop;		/* lines to leave out, ascending */
	size_t		 ndrop;
	uint64_t	 uncomma;	/* the line whose last comma goes; 0 none */
	char		*alter;		/* "ALTER TABLE `t` ADD KEY ...;\n" */
	unsigned	 nkeys;
};

/* 1: deferrable, *k filled; 0: not (why says so); k is always
 * rkeys_free()-able after the call */
int	rkeys_table(const char *text, size_t len, struct rkeys *k, char *why,
	    size_t whylen);
void	rkeys_free(struct rkeys *);

enum { RKEYS_FK_NONE, RKEYS_FK_LOCAL, RKEYS_FK_ANY };
/* RKEYS_FK_LOCAL: a foreign key to a table of the same database;
 * RKEYS_FK_ANY: one to another database, or it cannot tell */
int	rkeys_foreign(const char *text, size_t len);

#endif /* CAIRN_RESTORE_KEYS_H */
