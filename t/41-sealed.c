/* t/41-sealed.c -- no plaintext on the disk for an encrypted SQLite job:
 * the sealed file (sealed.h) alone and through SQLite, then a real
 * snapshot and a real decrypting verify, while a thread reads every file
 * of the job folder over and over looking for a marker row */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cairn/age.h"
#include "cairn/errors.h"
#include "cairn/sealed.h"
#include "cairn/util.h"
#include "cairn/verify.h"
#include "engine.h"
#include "tap.h"

/* the age specification's test key pair (t/22-age.c) */
#define SPEC_ID	"AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
#define SPEC_PK	"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
#define MARKER	"cairn-plaintext-marker-row"

static char	*top;
static int	 nrows = 60000;	/* fewer under valgrind */

/* Does the file at path hold needle (anywhere, across read chunks)? */
static int
file_has(const char *path, const char *needle, off_t *size)
{
	static char	 buf[1 << 20];
	size_t		 nl = strlen(needle), have = 0;
	ssize_t		 r;
	int		 fd, found = 0;
	struct stat	 st;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (size != NULL && fstat(fd, &st) == 0)
		*size = st.st_size;
	while (!found && (r = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)r;
		found = memmem(buf, have, needle, nl) != NULL;
		if (have > nl) {
			memmove(buf, buf + have - nl, nl);
			have = nl;
		}
	}
	close(fd);
	return found;
}

/* ---- a thread that reads the job folder while a step runs ---- */

struct scan {
	const char	*dir;
	const char	*tmp_prefix;	/* the step's temporary file */
	const char	*tmp_suffix;
	atomic_int	 stop;
	int		 rounds;
	int		 tmp_seen;	/* reads of a temp file >= 64 KiB */
	int		 found;		/* the marker, in any file */
	char		 where[256];
};

static void *
scan_main(void *arg)
{
	struct scan	*sc = arg;

	while (!atomic_load(&sc->stop)) {
		DIR		*d = opendir(sc->dir);
		struct dirent	*e;

		if (d == NULL)
			break;
		while ((e = readdir(d)) != NULL) {
			char	 path[512];
			off_t	 size = 0;
			size_t	 ln = strlen(e->d_name);
			int	 tmp;

			if (e->d_name[0] == '.' && (e->d_name[1] == '\0' ||
			    strcmp(e->d_name, "..") == 0))
				continue;
			snprintf(path, sizeof(path), "%s/%s", sc->dir,
			    e->d_name);
			tmp = strncmp(e->d_name, sc->tmp_prefix,
			    strlen(sc->tmp_prefix)) == 0 && ln >=
			    strlen(sc->tmp_suffix) && strcmp(e->d_name + ln -
			    strlen(sc->tmp_suffix), sc->tmp_suffix) == 0;
			if (file_has(path, MARKER, &size) && !sc->found) {
				sc->found = 1;
				snprintf(sc->where, sizeof(sc->where), "%s",
				    e->d_name);
			}
			if (tmp && size >= 65536)
				sc->tmp_seen++;
		}
		closedir(d);
		sc->rounds++;
	}
	return NULL;
}

static void
scan_start(struct scan *sc, pthread_t *tid, const char *dir,
    const char *prefix, const char *suffix)
{
	memset(sc, 0, sizeof(*sc));
	sc->dir = dir;
	sc->tmp_prefix = prefix;
	sc->tmp_suffix = suffix;
	if (pthread_create(tid, NULL, scan_main, sc) != 0)
		bail("pthread_create");
}

static void
scan_stop(struct scan *sc, pthread_t tid)
{
	atomic_store(&sc->stop, 1);
	pthread_join(tid, NULL);
}

/* ---- the sealed file alone ---- */

static void
test_file(void)
{
	char		*path = xasprintf("%s/alone", top);
	unsigned char	*shadow, *buf, blk1[4096], blk2[4096];
	size_t		 len = 300000;
	int		 fd, ok = 1;
	struct sealed	*s;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
		bail("open %s", path);
	if ((s = sealed_new(fd)) == NULL)
		bail("sealed_new: %s", strerror(errno));
	shadow = xcalloc(1, len);
	buf = xmalloc(len);
	/* writes of every shape: whole runs, partial blocks, rewrites */
	srand(7);
	for (int i = 0; i < 400; i++) {
		size_t	 off = (size_t)rand() % (len - 20000);
		size_t	 n = 1 + (size_t)rand() % 20000;

		if (i % 7 == 0)
			off -= off % 4096;
		for (size_t j = 0; j < n; j++)
			shadow[off + j] = (unsigned char)MARKER[(off + j) %
			    strlen(MARKER)];
		if (sealed_pwrite(s, fd, shadow + off, n, off) == -1)
			bail("sealed_pwrite: %s", strerror(errno));
	}
	for (size_t off = 0; off < len && ok; off += 977) {
		size_t	 n = len - off < 5000 ? len - off : 5000;
		ssize_t	 r = sealed_pread(s, fd, buf, n, off);
		uint64_t size = sealed_size(s);
		size_t	 want = off >= size ? 0 : size - off < n ?
		    (size_t)(size - off) : n;

		ok = r == (ssize_t)want && memcmp(buf, shadow + off, want) == 0;
	}
	ok(ok, "400 writes of every shape read back as written, short at "
	    "the end (%" PRIu64 " bytes)", sealed_size(s));
	ok(!file_has(path, MARKER, NULL) && !file_has(path, "marker-row",
	    NULL), "the file on disk holds none of it");

	/* the same plaintext written twice to one block: other ciphertext */
	sealed_pwrite(s, fd, shadow, 4096, 8192);
	pread(fd, blk1, sizeof(blk1), 8192);
	sealed_pwrite(s, fd, shadow, 4096, 8192);
	pread(fd, blk2, sizeof(blk2), 8192);
	ok(memcmp(blk1, blk2, sizeof(blk1)) != 0, "a block rewritten with "
	    "the same bytes is sealed under a new nonce");
	sealed_free(s);
	close(fd);
	free(shadow);
	free(buf);
	free(path);
}

/* ---- through SQLite ---- */

static void
fill(sqlite3 *db, int rows)
{
	sqlite3_stmt	*st;

	if (sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, note "
	    "TEXT); CREATE INDEX t_note ON t(note); BEGIN", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t(note) VALUES (?1)", -1, &st,
	    NULL) != SQLITE_OK)
		bail("fill: %s", sqlite3_errmsg(db));
	for (int i = 0; i < rows; i++) {
		char	 note[96];

		snprintf(note, sizeof(note), "%s %d %08x", MARKER, i,
		    (unsigned)i * 2654435761u);
		sqlite3_bind_text(st, 1, note, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			bail("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		bail("commit: %s", sqlite3_errmsg(db));
}

static long long
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_vfs(void)
{
	char		*path = xasprintf("%s/viavfs.db", top), *uri, *jpath;
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct sealed	*s;
	int		 fd, rc;
	const char	*ic = "";

	ok(sealed_vfs_register() == 0, "the VFS registers");
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
		bail("open %s", path);
	if ((s = sealed_new(fd)) == NULL)
		bail("sealed_new");
	close(fd);
	uri = xasprintf("file:%s?vfs=" SEALED_VFS_NAME, path);

	/* a rollback journal would hold plaintext: refused */
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK)
		bail("open: %s", sqlite3_errmsg(db));
	rc = sqlite3_exec(db, "CREATE TABLE j(x)", NULL, NULL, NULL);
	ok(rc != SQLITE_OK, "a write that needs a journal fails (%s)",
	    sqlite3_errmsg(db));
	jpath = xasprintf("%s-journal", path);
	ok(access(jpath, F_OK) == -1, "and no journal file was made");
	free(jpath);
	if (sqlite3_exec(db, "PRAGMA journal_mode = OFF; PRAGMA temp_store = "
	    "MEMORY", NULL, NULL, NULL) != SQLITE_OK)
		bail("pragma: %s", sqlite3_errmsg(db));
	fill(db, 20000);
	sqlite3_close(db);
	ok(!file_has(path, MARKER, NULL) && !file_has(path, "SQLite format 3",
	    NULL), "a database written through the VFS shows neither its "
	    "rows nor its header on disk");

	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK)
		bail("reopen: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ic = (const char *)sqlite3_column_text(st, 0);
	ok(strcmp(ic, "ok") == 0, "it reads back: integrity_check %s", ic);
	sqlite3_finalize(st);
	ok(query_int(db, "SELECT count(*) FROM t WHERE note LIKE '"
	    MARKER "%'") == 20000, "with every row");
	sqlite3_close(db);

	/* a file that is not sealed does not open through the VFS */
	free(uri);
	uri = xasprintf("file:%s/nosuch.db?vfs=" SEALED_VFS_NAME, top);
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
	ok(rc != SQLITE_OK || sqlite3_exec(db, "CREATE TABLE x(y)", NULL, NULL,
	    NULL) != SQLITE_OK, "a file without a seal is refused");
	sqlite3_close(db);
	sealed_free(s);
	free(uri);
	free(path);
}

/* ---- a real snapshot and a real verify ---- */

static int
snapshot(const char *dir, const char *src, char **recipients,
    struct job_result *res)
{
	struct job_conf	 job;
	struct job_env	 env;
	int		 rc;

	memset(&job, 0, sizeof(job));
	memset(&env, 0, sizeof(env));
	memset(res, 0, sizeof(*res));
	job.name = (char *)"app";
	job.kind = JOB_SQLITE;
	job.path = (char *)src;
	job.compression = COMPRESS_GZIP;
	job.compression_level = 1;
	job.compression_threads = 1;
	job.age_recipients = recipients;
	env.job = &job;
	env.dir = dir;
	env.started = 1764748800 + (recipients != NULL ? 60 : 0);
	env.file_mode = 0600;
	if ((env.dirfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		bail("open %s", dir);
	rc = job_sqlite_run(&env, res);
	close(env.dirfd);
	return rc;
}

static void
test_steps(int encrypted, int wal)
{
	const char		*what = encrypted ? (wal ? "encrypted WAL" :
				    "encrypted") : "plain";
	char			*dir = xasprintf("%s/job-%d%d", top, encrypted,
				    wal);
	char			*src = xasprintf("%s/src-%d%d.db", top,
				    encrypted, wal);
	char			*recips[] = { (char *)SPEC_PK, NULL }, *tmp;
	struct age_identity	*ids = NULL;
	size_t			 nids = 0;
	struct job_result	 res;
	struct verify_opts	 vo;
	struct verify_result	 vr;
	struct scan		 sc;
	pthread_t		 tid;
	sqlite3			*db;
	char			 err[160];
	int			 rc, dirfd;

	if (mkdir(dir, 0700) == -1)
		bail("mkdir %s", dir);
	if (sqlite3_open(src, &db) != SQLITE_OK)
		bail("sqlite3_open %s", src);
	if (wal && sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL,
	    NULL) != SQLITE_OK)
		bail("wal: %s", sqlite3_errmsg(db));
	fill(db, nrows);
	sqlite3_close(db);

	scan_start(&sc, &tid, dir, ".app", ".snapshot.tmp");
	rc = snapshot(dir, src, encrypted ? recips : NULL, &res);
	scan_stop(&sc, tid);
	ok(rc == CAIRN_E_OK, "%s snapshot: exit %d %s", what, rc,
	    res.message);
	if (encrypted) {
		ok(sc.tmp_seen > 0 && !sc.found, "%s snapshot: the marker "
		    "row was in no file of the job folder (%d reads of the "
		    "copy in %d rounds)", what, sc.tmp_seen, sc.rounds);
	} else
		ok(sc.found, "plain snapshot: the scan finds the marker "
		    "(in %s): the scan can see it", sc.where);
	tmp = xasprintf("%s/.app.snapshot.tmp", dir);
	ok(access(tmp, F_OK) == -1, "%s snapshot: the copy is gone", what);
	free(tmp);

	if (encrypted) {
		int	 n = age_identities_parse(SPEC_ID, &ids, err,
		    sizeof(err));

		if (n == -1)
			bail("identity: %s", err);
		nids = (size_t)n;
	}
	memset(&vo, 0, sizeof(vo));
	vo.dir = dir;
	vo.age_ids = ids;
	vo.nage_ids = nids;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		bail("open %s", dir);
	scan_start(&sc, &tid, dir, ".cairn-verify", "");
	rc = verify_artifact(dirfd, res.artifact, NULL, &vo, &vr);
	scan_stop(&sc, tid);
	close(dirfd);
	ok(rc == CAIRN_E_OK && (vr.ran & (1u << VERIFY_INTEGRITY)) &&
	    vr.ntables == 1 && vr.tables[0].rows == (uint64_t)nrows, "%s verify: "
	    "integrity_check ran and passed, %d rows counted (%s)", what,
	    nrows, vr.message);
	if (encrypted) {
		ok(vr.age_level == VERIFY_AGE_DECRYPTED, "%s verify: "
		    "decrypted", what);
		ok(sc.tmp_seen > 0 && !sc.found, "%s verify: the marker row "
		    "was in no file (%d reads of the copy in %d rounds)", what,
		    sc.tmp_seen, sc.rounds);
	} else
		ok(sc.found, "plain verify: the scan finds the marker (in %s)",
		    sc.where);
	verify_result_free(&vr);
	job_result_free(&res);
	age_identities_free(ids, nids);
	free(dir);
	free(src);
}

int
main(void)
{
	char	*cmd;

	plan_lazy();
	if (getenv("LD_PRELOAD") != NULL &&
	    strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL)
		nrows = 8000;
	top = tap_tmpdir();
	test_file();
	test_vfs();
	test_steps(0, 0);
	test_steps(1, 0);
	test_steps(1, 1);
	cmd = xasprintf("rm -rf '%s'", top);
	if (system(cmd) != 0)
		diag("could not remove %s", top);
	free(cmd);
	return tap_exit();
}
