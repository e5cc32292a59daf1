/*
 * verify -- prove that an artifact can be read back, inside a verify worker.
 *
 * Contract
 *   - verify_artifact() reads one artifact NAME in dirfd (the job folder)
 *     and runs, in one pass over the file:
 *       the compressed stream (chosen by the name's suffix: ".gz" every gzip
 *       member with its CRC-32 and length, ".zst" every zstd frame, else
 *       stored as is) decompresses to the end;
 *       the file's SHA-256 and the raw/stored sizes equal what the catalog
 *       recorded (when given in the expectation);
 *       ".sql.*" (MySQL dump): line 1 is the format line, the completion
 *       marker is the last line, and the rows of every table counted from
 *       the INSERT statements equal the dump's "-- cairn rows" lines and
 *       the catalog's counts;
 *       ".db.*" (SQLite): the database, decompressed to a temporary file
 *       ".cairn-verify.XXXXXX" in dirfd (always removed before returning;
 *       sealed for an ".age" artifact, see include/cairn/sealed.h),
 *       passes PRAGMA integrity_check, its schema opens, and its tables and
 *       per-table row counts equal the catalog's.
 *     An ".age" artifact (docs/encryption.md): with opts->age_ids it is
 *     decrypted on the fly (every chunk authenticated, header MAC checked:
 *     the VERIFY_AGE check) and then gets every check above; without, only
 *     the age header and payload layout (VERIFY_AGE), the SHA-256 and the
 *     stored size are checked.  res->age_level says which level ran.
 *     With opts->restore_test, a MySQL dump is then restored into scratch
 *     database(s) on opts->target and the restored row counts (and CHECKSUM
 *     TABLE, where the catalog has one) compared; for SQLite the row counts
 *     above are the restore test.
 *   - Return: CAIRN_E_OK when every check passed; CAIRN_E_VERIFY when one
 *     failed (res->failed has a bit per failed check, res->message the
 *     first failure in check order, res->detail[] one line per check);
 *     another CAIRN_E_* code when the check could not run (cannot open the
 *     artifact: CAIRN_E_NOINPUT; cannot reach the restore target:
 *     CAIRN_E_DB_CONNECT; cancelled: CAIRN_E_TEMPFAIL; ...), with the cause
 *     in res->message.  Never exits.
 *   - Borrows dirfd, name, expect, opts.  res->tables (the counts found in
 *     the artifact) is owned by res: verify_result_free() releases it.
 */
#ifndef CAIRN_VERIFY_H
#define CAIRN_VERIFY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/age.h"
#include "cairn/conf.h"
#include "engine.h"

enum verify_check {
	VERIFY_STREAM,		/* decompresses to the end, CRCs good */
	VERIFY_SHA256,		/* file SHA-256 = catalog */
	VERIFY_SIZE,		/* raw and stored bytes = catalog */
	VERIFY_FORMAT,		/* format line, completion marker (MySQL) */
	VERIFY_ROWS,		/* per-table rows: dump, rows lines, catalog */
	VERIFY_INTEGRITY,	/* SQLite integrity_check and schema */
	VERIFY_RESTORE,		/* restore test */
	VERIFY_AGE,		/* age header (and, decrypted, every chunk) */
	VERIFY_CHECK_MAX,
};

enum verify_kind {
	VERIFY_KIND_AUTO,	/* from the name: ".sql.*" mysql, ".db.*" sqlite */
	VERIFY_KIND_MYSQL,
	VERIFY_KIND_SQLITE,
	VERIFY_KIND_OPAQUE,	/* stream checks only */
};

/* What the catalog recorded; fields left at their zero/-1 are not checked. */
struct verify_expect {
	enum verify_kind	 kind;
	const char		*sha256_hex;	/* NULL: not checked */
	int64_t			 raw_bytes;	/* -1: not checked */
	int64_t			 stored_bytes;	/* -1: not checked */
	const struct table_stat	*tables;	/* NULL: not checked */
	size_t			 ntables;
};

struct verify_opts {
	const char		*dir;		/* dirfd's path, for SQLite */
	bool			 restore_test;
	const struct db_conn	*target;	/* restore test server */
	const char		*target_password;	/* NULL: none */
	const char		*target_database;	/* scratch db name */
	size_t			 max_stmt;	/* 0: SQLSCAN_MAX_STMT */
	job_progress_fn		 progress;
	void			*progress_arg;
	volatile sig_atomic_t	*cancel;
	const struct age_identity *age_ids;	/* ".age": none, header only */
	size_t			 nage_ids;
};

enum verify_age_level {
	VERIFY_AGE_NONE,	/* not encrypted */
	VERIFY_AGE_HEADER,	/* no identity: header, layout, size, SHA-256 */
	VERIFY_AGE_DECRYPTED,	/* decrypted: every check */
};

struct verify_result {
	unsigned		 failed;	/* 1u << enum verify_check */
	unsigned		 ran;		/* checks that ran */
	char			 message[256];
	char			 detail[VERIFY_CHECK_MAX][192];
	uint64_t		 raw_bytes;
	uint64_t		 stored_bytes;
	char			 sha256_hex[65];
	enum verify_age_level	 age_level;
	char			 age_info[64];	/* "1 stanza (1 X25519)" */
	struct table_stat	*tables;	/* owns: rows counted */
	size_t			 ntables;
};

/* Fill *expect with "check nothing" values. */
void	 verify_expect_init(struct verify_expect *);
int	 verify_artifact(int dirfd, const char *name,
	    const struct verify_expect *, const struct verify_opts *,
	    struct verify_result *);
void	 verify_result_free(struct verify_result *);
/* "stream", "sha256", ... */
const char *verify_check_name(enum verify_check);

/*
 * The restore test alone, for a MySQL dump NAME in dirfd: restores into
 * opts->target_database (one database in the dump) or
 * "<target_database>_<n>" (the n-th of several, from 1), compares row
 * counts (and checksums where expect has them), drops the scratch
 * database(s).  Same return and result conventions as verify_artifact().
 */
int	 verify_restore_mysql(int dirfd, const char *name,
	    const struct verify_expect *, const struct verify_opts *,
	    struct verify_result *);

#endif /* CAIRN_VERIFY_H */
