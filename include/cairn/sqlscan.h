/*
 * sqlscan -- split a MySQL dump into statements the way the stock `mysql`
 * client does, and read what the verifier needs out of them.
 *
 * Contract
 *   - sqlscan_feed() takes the dump in chunks of any size (a chunk may end
 *     anywhere, even inside a quote or a delimiter) and calls the callback
 *     once per complete statement, comment line and DELIMITER command, in
 *     order.  The scanner knows single- and double-quoted strings (with
 *     backslash escapes and doubled quotes), backquoted identifiers (with
 *     doubled backquotes), `-- ` and `#` line comments (`--` alone at a
 *     statement's start), block comments (kept in the statement text),
 *     executable comments (slash-star-bang, slash-star-M-bang: plain text
 *     to the client, so quotes, delimiters and commands count inside) and
 *     `DELIMITER xx` client commands at the start of a statement.  A
 *     `SET ... sql_mode = '...'` statement switches how later strings are
 *     read, as the client does from the server's status: ANSI_QUOTES (and
 *     the modes implying it) makes backslash plain in "...",
 *     NO_BACKSLASH_ESCAPES in every string.  Bytes are read one by one (the
 *     client in a UTF-8 or single-byte locale does the same).
 *   - Client commands other than DELIMITER and USE (a backslash command
 *     outside strings and comments but \N and the sandbox switch \-; a
 *     command word first on a line that starts a statement and holds no
 *     delimiter, or first in a whole statement) are given as
 *     SQLSCAN_COMMAND; scanning goes on.
 *   - A statement is given without its delimiter and without surrounding
 *     whitespace; a line comment inside a statement is replaced by a newline;
 *     a line comment between statements is given as SQLSCAN_COMMENT (the
 *     text from `--`/`#` to the end of the line, without the newline).
 *   - A statement in the wrapped form cairn writes for text holding CR LF
 *     (SQLSCAN_WRAP_HEAD ..., see sqlout_wrap_begin()) is given decoded:
 *     the statement the server runs, with wrapped set.  Such a statement
 *     is never cut.
 *   - Memory is bounded: a statement longer than max_stmt bytes is an
 *     error; with sqlscan_keep() only a prefix of each is held.
 *   - Errors: sqlscan_feed()/sqlscan_end() return -1 with a one-line cause
 *     in sqlscan_error() ("line 12: statement longer than 16777216 bytes");
 *     a callback returning -1 stops the scan (its own message stays the
 *     caller's business) and the scanner reports "stopped".
 *   - Pure memory work: no I/O.  The scanner owns its buffers;
 *     sqlscan_free() releases them.  Statement text given to the callback
 *     is borrowed for the call.
 */
#ifndef CAIRN_SQLSCAN_H
#define CAIRN_SQLSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SQLSCAN_MAX_STMT	((size_t)16 << 20)
#define SQLSCAN_MAX_PACKET	((size_t)1 << 30)
#define SQLSCAN_MAX_DELIM	16
#define SQLSCAN_WRAP_HEAD	"EXECUTE IMMEDIATE CONCAT('"

enum sqlscan_kind {
	SQLSCAN_STMT,		/* a statement, delimiter stripped */
	SQLSCAN_COMMENT,	/* a whole-line comment between statements */
	SQLSCAN_DELIMITER,	/* "DELIMITER x": text is the new delimiter */
	SQLSCAN_COMMAND,	/* a client command other than DELIMITER and
				 * USE: text is "\\!" or its name ("system") */
	SQLSCAN_KIND_MAX,
};

struct sqlscan_item {
	enum sqlscan_kind	 kind;
	const char		*text;	/* NUL-terminated; borrowed */
	size_t			 len;
	uint64_t		 line;	/* 1-based line where it starts */
	int			 unterminated;	/* last statement had no delimiter */
	int			 wrapped;	/* decoded from the wrapped form */
	/* statements only: */
	int			 cut;	/* text is a prefix (see sqlscan_keep()) */
	uint64_t		 total;	/* the whole statement's length */
	uint64_t		 groups;	/* (...) groups at depth 0 */
};

typedef int	(*sqlscan_fn)(void *arg, const struct sqlscan_item *);

struct sqlscan;

/* Returns new (sqlscan_free()), or NULL with errno set.  max_stmt 0:
 * SQLSCAN_MAX_STMT. */
struct sqlscan	*sqlscan_new(size_t max_stmt, sqlscan_fn, void *arg);
int		 sqlscan_feed(struct sqlscan *, const char *, size_t);
/* End of input: emits a last statement without delimiter (unterminated
 * set); -1 if the input ends inside a string, identifier or comment. */
int		 sqlscan_end(struct sqlscan *);
const char	*sqlscan_error(const struct sqlscan *);
/*
 * Keep at most keep bytes of each statement (0: all, the default): a longer
 * one is given cut (text its first keep bytes, total its length, groups
 * its parenthesised groups outside strings and comments: for an INSERT
 * ... VALUES, its rows plus one for a column list).  max_stmt still
 * bounds total; memory stays below keep.
 */
void		 sqlscan_keep(struct sqlscan *, size_t keep);
/*
 * Is the scanner at the start of a line, between statements, with ";" as
 * the delimiter and the default quoting (no ANSI_QUOTES, backslash
 * escapes)?  Then a caller that has checked a whole line to be one such
 * statement itself may pass it by with sqlscan_skip_line() (the line
 * counter moves on; the state is the one that line would leave).
 */
int		 sqlscan_plain(const struct sqlscan *);
void		 sqlscan_skip_line(struct sqlscan *);
/*
 * Decode a whole statement in the wrapped form in place (the text only
 * shrinks; NUL-terminated after).  Returns the decoded length, or
 * (size_t)-1, text unchanged, if it is not exactly that form.
 */
size_t		 sqlscan_unwrap(char *text, size_t len);
/* The line the scanner is at (1-based). */
uint64_t	 sqlscan_line(const struct sqlscan *);
/*
 * How strings read now (the sql_mode the dump set last): 0, or
 * SQLSCAN_ANSI_QUOTES ("..." is an identifier, backslash plain in it) and
 * SQLSCAN_NO_BS_ESCAPES (backslash plain in every string).  Inside the
 * callback: the quoting the statement given was read with.
 */
#define SQLSCAN_ANSI_QUOTES	0x1
#define SQLSCAN_NO_BS_ESCAPES	0x2
int		 sqlscan_quoting(const struct sqlscan *);
void		 sqlscan_free(struct sqlscan *);

/*
 * Read an INSERT or REPLACE statement: "INSERT [IGNORE] INTO [`db`.]`tbl`
 * [(cols)] VALUES (...),(...) [ON DUPLICATE KEY ...]".  Returns 1 and
 * fills db ("" when unqualified), tbl (identifiers unquoted) and *rows (the
 * number of row tuples); 0 if the statement is not an INSERT/REPLACE ...
 * VALUES; -1 (errno EINVAL) if it is one but malformed (an unbalanced
 * parenthesis or quote, a name longer than the buffers).
 */
int	 sqlscan_insert(const char *stmt, size_t len, char *db, size_t dblen,
	    char *tbl, size_t tbllen, uint64_t *rows);

/*
 * The head of an INSERT: as sqlscan_insert() up to VALUES; *has_cols tells
 * whether a column list came before it.  For a statement given cut.
 */
int	 sqlscan_insert_head(const char *stmt, size_t len, char *db,
	    size_t dblen, char *tbl, size_t tbllen, int *has_cols);

/*
 * Read one identifier, backquoted (doubled backquotes undone), X'hex' (the
 * form of cairn's marker lines for a name with control characters) or bare, at
 * *sp after optional whitespace; advance *sp past it.  Returns 0, or -1 if
 * there is none or it does not fit.
 */
int	 sqlscan_ident(const char **sp, const char *end, char *out,
	    size_t outlen);

/*
 * Is stmt "USE db"?  Returns 1 and fills db; 0 if not.
 * Is stmt "CREATE DATABASE [IF NOT EXISTS] db ..."?  Same.
 */
int	 sqlscan_use(const char *stmt, size_t len, char *db, size_t dblen);
int	 sqlscan_create_db(const char *stmt, size_t len, char *db,
	    size_t dblen);
/*
 * The verifier's fast path over rows: is line (one whole line, without its
 * newline) exactly one "INSERT INTO ..." statement ending in ";" under the
 * default quoting and delimiter, with nothing outside its quotes that the
 * client reads as a comment or a command (no #, --, slash, backslash,
 * control character)?  1 with *groups its (...) groups at depth 0 outside
 * quotes (the rows, plus one for a column list); 0 if not.  Call it only
 * where sqlscan_plain() holds, and pass such a line by with
 * sqlscan_skip_line().
 */
int	 sqlscan_rows_line(const char *line, size_t len, uint64_t *groups);
/* Is stmt "ALTER DATABASE|SCHEMA db ..." naming its database?  1 with db
 * and *rest the offset just past the name; 0 if not. */
int	 sqlscan_alter_db(const char *stmt, size_t len, char *db,
	    size_t dblen, size_t *rest);
/*
 * Is stmt about accounts (CREATE USER, CREATE ROLE, GRANT, SET DEFAULT
 * ROLE: a dump's dump_grants part)?  1 if so, else 0.  The verifier's
 * restore test leaves these out: they would create accounts on its server.
 */
int	 sqlscan_account(const char *stmt, size_t len);

/*
 * Does stmt name the database db as a qualifier (db.x, `db`.`x`, `db` . x,
 * db.f()): an identifier equal to db followed, after optional whitespace
 * and comments, by "."?  The identifier is bare, backquoted (doubled
 * backquotes undone) or, with SQLSCAN_ANSI_QUOTES in quoting, "..."; ASCII
 * letters compare without case (as on a server with lower_case_table_names;
 * other bytes as they are).  Strings and comments do not count;
 * executable comments (slash-star-bang) do.  Meant to err on the side of
 * a hit: an alias or a variable spelled like db before a "." counts.
 * Returns the offset of the first such identifier in stmt, or -1.
 */
ssize_t	 sqlscan_names_db(const char *stmt, size_t len, const char *db,
	    int quoting);
/*
 * Is stmt the CREATE of a routine, package, trigger, event or view
 * ("CREATE [OR REPLACE] [DEFINER=...] [...] PROCEDURE [IF NOT EXISTS]
 * [db.]name", also in mysqldump's executable comments)?  Returns 1 and
 * fills kind ("PROCEDURE", "FUNCTION", "PACKAGE", "PACKAGE BODY",
 * "TRIGGER", "EVENT", "VIEW") and name (unquoted; cut to fit); 0 if not.
 */
int	 sqlscan_create_object(const char *stmt, size_t len, char *kind,
	    size_t kindlen, char *name, size_t namelen);

#endif /* CAIRN_SQLSCAN_H */
