/*
 * verify_int.h -- what the verify engine's files share (private to
 * src/worker/verify*.c; the engine's contract is include/cairn/verify.h).
 *
 *   verify.c          results, names, the catalog's sums, opening the
 *                     artifact, the pass's common checks, the dispatch by
 *                     kind (verify_artifact)
 *   verify_stream.c   one pass over the file (SHA-256, age, decompression)
 *                     and the SQL sink: format line, marker, row counts
 *                     (verify_sql)
 *   verify_sqlite.c   the SQLite copy and its checks (verify_sqlite)
 *   verify_restore.c  the MySQL restore test (verify_restore_mysql)
 *
 * Contract
 *   - verify_fail()/verify_passed() record a check's outcome in res (the
 *     first failure per check is kept); verify_summarise() sets
 *     res->message to the first failure in check order.
 *   - A struct pass is set up by the caller (fd, ck, opts, name, sink;
 *     verify_pass_setup() for the age side) and run once by
 *     verify_pass_checks(), which records VERIFY_AGE, VERIFY_STREAM,
 *     VERIFY_SHA256 and VERIFY_SIZE.  It borrows the fd and the sink.
 *   - verify_sql()/verify_sqlite() run the pass with their sink and the
 *     checks of their kind; they return a CAIRN_E_* code as
 *     verify_artifact() does, res->message set when it is not OK (the
 *     summary is the caller's).
 *   - struct tables owns its array (free(t->v)); verify_tables_to_result()
 *     moves it into res.
 */
#ifndef CAIRN_VERIFY_INT_H
#define CAIRN_VERIFY_INT_H

#include <stdint.h>
#include <sys/types.h>


#include "cairn/age.h"
#include "cairn/sqlscan.h"
#include "cairn/unpack.h"
#include "cairn/verify.h"

#define TAIL_LEN	96
#define HEAD_LEN	64

/* ---- results ---- */

void	verify_fail(struct verify_result *, enum verify_check, const char *,
	    ...) __attribute__((format(printf, 3, 4)));
void	verify_passed(struct verify_result *, enum verify_check);
void	verify_summarise(struct verify_result *);
int	verify_cancelled(const struct verify_opts *);
enum compress_kind verify_name_compression(const char *);
int	verify_open_artifact(int, const char *, struct verify_result *);

/* ---- table statistics ---- */

struct tables {
	struct table_stat	*v;
	size_t			 n, cap;
	size_t			 last;	/* lookup cache: INSERTs come grouped */
};

struct table_stat *verify_tables_get(struct tables *, const char *, int);
const struct table_stat *verify_expect_find(const struct verify_expect *,
	    const char *);
void	verify_tables_to_result(struct tables *, struct verify_result *);

/* ---- the MySQL sink: scanner, row counts, format line and marker ---- */

struct restore;

struct dump_sink {
	struct sqlscan		*scan;
	struct tables		 counted;	/* rows in INSERTs */
	struct tables		 recorded;	/* "-- cairn rows" lines */
	char			 db[96];	/* current USE */
	char			 head[HEAD_LEN + 1];
	size_t			 head_len;
	char			 tail[TAIL_LEN];
	size_t			 tail_len;
	uint64_t		 total;
	char			 err[192];	/* first content problem */
	int			 oom;
	struct restore		*restore;	/* NULL: count only */
	/* the fast path over rows lines (verify_stream.c); line NULL: off */
	char			*line;		/* owns */
	size_t			 llen;
	int			 lstate;
};

int	verify_sink_item(void *, const struct sqlscan_item *);
int	verify_sink_feed(void *, const char *, size_t);
int	verify_sink_flush(struct dump_sink *);
int	verify_restore_stmt(struct restore *, const struct sqlscan_item *,
	    struct dump_sink *);

/* ---- one pass over the file ---- */

typedef int	(*sink_fn)(void *, const char *, size_t);

struct pass {
	int			 fd;
	enum compress_kind	 ck;
	sink_fn			 sink;
	void			*sink_arg;
	const struct verify_opts *opts;
	const char		*name;
	int			 encrypted;	/* ".age" */
	const struct age_identity *age_ids;	/* none: header only */
	size_t			 nage_ids;
	struct unpack		*up;		/* owns during a pass */
	uint64_t		 plain;		/* compressed bytes seen */
	/* out */
	char			 age_err[192];
	char			 age_info[64];
	uint64_t		 stored, raw;
	unsigned char		 sha[32];
	char			 stream_err[192];
	int			 sink_failed;
	int			 io_errno;
	int			 cancelled;
};

/* The age side of a pass over NAME (decrypt with opts' identities). */
void	verify_pass_setup(struct pass *, const char *,
	    const struct verify_opts *);
int	verify_pass_run(struct pass *);
int	verify_pass_checks(struct pass *, const struct verify_expect *,
	    struct verify_result *, int *);

/* ---- the checks of each kind ---- */

int	verify_sql(struct pass *, int, const struct verify_expect *,
	    const struct verify_opts *, struct verify_result *);
int	verify_sqlite(struct pass *, int, const struct verify_expect *,
	    const struct verify_opts *, struct verify_result *);

#endif /* CAIRN_VERIFY_INT_H */
