/*
 * sqlout -- buffered SQL text output for the mysql dump engine: quoting of
 * identifiers, escaping of strings, hex literals, exact FLOAT text.
 *
 * Contract
 *   - Bytes go to a buffer of fixed size and reach the sink in chunks of
 *     that size (and at sqlout_flush()); memory never grows with the data:
 *     a value longer than the buffer streams through it.
 *   - Output calls return nothing: the first sink error is sticky, later
 *     output is dropped, and sqlout_error() returns the sink's errno (0 if
 *     none).  Check it at statement boundaries.
 *   - Strings are escaped for a client whose connection character set is
 *     utf8mb4 (or any ASCII-compatible charset without multibyte sequences
 *     that contain bytes < 0x80): \0 \n \r \\ \' \" \Z, so a statement never
 *     contains a raw newline.  Restores need a sql_mode without
 *     NO_BACKSLASH_ESCAPES (the dump header sets one).
 *   - Between sqlout_wrap_begin() and sqlout_wrap_end() every byte goes
 *     into one statement EXECUTE IMMEDIATE CONCAT('...', ...) (see there).
 *   - Borrows the sink's argument; sqlout_free() flushes nothing.
 */
#ifndef CAIRN_SQLOUT_H
#define CAIRN_SQLOUT_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0, or -1 with errno set. */
typedef int	(*sqlout_sink_fn)(void *arg, const void *, size_t);

struct sqlout;

/* Returns new (sqlout_free()); never NULL. */
struct sqlout	*sqlout_new(sqlout_sink_fn, void *arg, size_t bufsize);
void		 sqlout_free(struct sqlout *);
/* Hand everything buffered to the sink.  0, or -1 with errno set. */
int		 sqlout_flush(struct sqlout *);
int		 sqlout_error(const struct sqlout *);
/* Bytes accepted so far (buffered ones included). */
uint64_t	 sqlout_bytes(const struct sqlout *);

void		 sqlout_put(struct sqlout *, const void *, size_t);
void		 sqlout_puts(struct sqlout *, const char *);
void		 sqlout_putc(struct sqlout *, char);
void		 sqlout_printf(struct sqlout *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* `name` with embedded backquotes doubled. */
void		 sqlout_ident(struct sqlout *, const char *);
/*
 * A name in a line the client reads as a comment (cairn's markers): as
 * sqlout_ident() when it holds no control character, else X'hex' of its
 * bytes, so that no newline can end the comment and start a command.
 */
void		 sqlout_marker_name(struct sqlout *, const char *);
/* Text for a comment line: every control character written as '?'. */
void		 sqlout_comment_text(struct sqlout *, const char *);
/* 'text' escaped as above. */
void		 sqlout_string(struct sqlout *, const char *, size_t);
/* 0x0123ab, or '' for an empty value (0x alone is not a literal). */
void		 sqlout_hex(struct sqlout *, const unsigned char *, size_t);

/*
 * The stock client reading a file or a pipe drops the CR of every line
 * that ends in CR LF, even inside a quoted name or a routine's body.  A
 * statement whose text holds CR LF is written instead as
 *   EXECUTE IMMEDIATE CONCAT('text', CHAR(13 USING utf8mb4), 'text')
 * with ' doubled and every CR and backslash given as CHAR(n USING
 * utf8mb4), so that the literal reads the same under any sql_mode and the
 * server runs exactly the statement's bytes.  sqlscan gives such a
 * statement back decoded (SQLSCAN_WRAP_HEAD).  The caller writes the
 * delimiter after sqlout_wrap_end().  Wrapping flushes the buffer.
 */
void		 sqlout_wrap_begin(struct sqlout *);
void		 sqlout_wrap_end(struct sqlout *);
/* Does text need that: does it hold CR LF? */
int		 sqlout_needs_wrap(const char *, size_t);

/* Upper bounds of what sqlout_string()/sqlout_hex() write for n bytes. */
#define SQLOUT_STRING_MAX(n)	(2 * (size_t)(n) + 2)
#define SQLOUT_HEX_MAX(n)	(2 * (size_t)(n) + 2)

/*
 * The shortest decimal text that reads back as the same IEEE single: the
 * exact value of a FLOAT column arrives as the text of a double (selected
 * with CAST(col AS DOUBLE)); this turns it into 16777216, 0.1, 3.4028235e38
 * rather than the server's 6 significant digits.  Returns 0, or -1 if the
 * text is not a finite number (the caller writes it unchanged).
 */
int		 sqlout_float_text(char *out, size_t outlen, const char *in);

#endif /* CAIRN_SQLOUT_H */
