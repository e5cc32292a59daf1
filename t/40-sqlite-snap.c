/* t/40-sqlite-snap.c -- the sqlite snapshot engine: consistency under a
 * constant writer (WAL and rollback journal), read-only sources, broken
 * sources, cancel, compression kinds */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zlib.h>

#include "cairn/errors.h"
#include "engine.h"
#include "cairn/util.h"
#include "tap.h"

#define ACCOUNTS	100
#define BALANCE		1000	/* each account's start: the sum is constant */
#define NOBODY		65534

static char	*top;		/* the test's private folder */
static int	 slow;		/* under valgrind: fewer, smaller runs */

static int
under_valgrind(void)
{
	const char	*p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static void
xexec(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		bail("sqlite: %s: %s", sql, err ? err : "?");
}

static sqlite3 *
xopen(const char *path)
{
	sqlite3	*db;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		bail("sqlite3_open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 60000);
	return db;
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

static char *
query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	char		*v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	else
		v = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

/* Tables a and b always hold the same number of rows; acct's balances
 * always sum to ACCOUNTS * BALANCE. */
static void
make_db(const char *path, int wal, int rows)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 text[200];
	int		 i, j;

	unlink(path);
	db = xopen(path);
	if (wal)
		xexec(db, "PRAGMA journal_mode = WAL");
	xexec(db, "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);"
	    "CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT);"
	    "CREATE INDEX b_v ON b (v);"
	    "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER);"
	    "BEGIN");
	for (i = 1; i <= ACCOUNTS; i++) {
		snprintf(text, sizeof(text),
		    "INSERT INTO acct VALUES (%d, %d)", i, BALANCE);
		xexec(db, text);
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO a (v) VALUES (?1);"
	    , -1, &st, NULL) != SQLITE_OK)
		bail("prepare: %s", sqlite3_errmsg(db));
	for (i = 0; i < rows; i++) {
		for (j = 0; j < (int)sizeof(text) - 1; j++)
			text[j] = (char)('a' + (i * 7 + j * j) % 26);
		text[sizeof(text) - 1] = '\0';
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			bail("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	xexec(db, "INSERT INTO b (v) SELECT v FROM a; COMMIT");
	sqlite3_close(db);
}

/*
 * The constant writer: another process committing transactions that keep
 * the invariants, thousands a second, until SIGTERM.  It reports its count
 * of commits and its longest transaction (its wait for a lock included)
 * on a pipe.
 */
struct writer_proc {
	pid_t	 pid;
	int	 fd;		/* read end of the report pipe */
};

static volatile sig_atomic_t	 writer_stop;
static int64_t			 busy_start;	/* first busy call, or 0 */

/* The writer's busy handler: waits for the lock, noting since when. */
static int
writer_busy(void *arg, int n)
{
	(void)arg;
	if (n == 0)
		busy_start = util_now_ms();
	sqlite3_sleep(1);
	return util_now_ms() - busy_start < 600000;
}

static void
writer_on_term(int sig)
{
	(void)sig;
	writer_stop = 1;
}

static void
writer_loop(const char *path, int memjournal, int out)
{
	sqlite3		*db;
	int64_t		 t0, dt, max = 0, max_lock = 0;
	long long	 n = 0;
	char		 sql[512];
	unsigned	 x = 12345;
	int		 from, to, amount, rc;

	signal(SIGTERM, writer_on_term);
	db = xopen(path);
	sqlite3_busy_handler(db, writer_busy, NULL);
	xexec(db, "PRAGMA synchronous = OFF");
	if (memjournal)
		xexec(db, "PRAGMA journal_mode = MEMORY");
	while (!writer_stop) {
		x = x * 1103515245 + 12345;
		from = 1 + (int)(x >> 8) % ACCOUNTS;
		to = 1 + (int)(x >> 16) % ACCOUNTS;
		amount = (int)(x >> 4) % 50;
		snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE;"
		    "INSERT INTO a (v) VALUES ('w%lld');"
		    "INSERT INTO b (v) VALUES ('w%lld');"
		    "UPDATE acct SET bal = bal - %d WHERE id = %d;"
		    "UPDATE acct SET bal = bal + %d WHERE id = %d;"
		    "%s"
		    "COMMIT", n, n, amount, from, amount, to,
		    n % 50 == 49 ? "DELETE FROM a WHERE id IN (SELECT id FROM "
		    "a ORDER BY id LIMIT 3); DELETE FROM b WHERE id IN (SELECT "
		    "id FROM b ORDER BY id LIMIT 3);" : "");
		t0 = util_now_ms();
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		dt = util_now_ms() - t0;
		if (rc != SQLITE_OK) {
			fprintf(stderr, "# writer: %s\n", sqlite3_errmsg(db));
			_exit(1);
		}
		if (dt > max)
			max = dt;
		if (busy_start != 0 && util_now_ms() - busy_start > max_lock)
			max_lock = util_now_ms() - busy_start;
		busy_start = 0;
		n++;
		/* a steady stream, not a CPU hog: a commit every ~0.2 ms */
		usleep(100);
	}
	sqlite3_close(db);
	snprintf(sql, sizeof(sql), "%lld %lld %lld\n", n, (long long)max,
	    (long long)max_lock);
	(void)!write(out, sql, strlen(sql));
	_exit(0);
}

static struct writer_proc
writer_start(const char *path, int memjournal)
{
	struct writer_proc	 w;
	int			 p[2];

	if (pipe(p) == -1)
		bail("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((w.pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (w.pid == 0) {
		close(p[0]);
		/* never outlive the test */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() == 1)
			_exit(1);
		writer_loop(path, memjournal, p[1]);
	}
	close(p[1]);
	w.fd = p[0];
	usleep(50000);		/* let it open the database and commit */
	return w;
}

/* Stops the writer; returns its commit count (-1 if it failed). */
static long long
writer_finish(struct writer_proc *w, long long *max_ms, long long *lock_ms)
{
	char		 buf[64] = "";
	long long	 n = -1;
	int		 status;

	kill(w->pid, SIGTERM);
	(void)!read(w->fd, buf, sizeof(buf) - 1);
	close(w->fd);
	if (waitpid(w->pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	if (sscanf(buf, "%lld %lld %lld", &n, max_ms, lock_ms) != 3)
		return -1;
	return n;
}

/*
 * Running the engine
 */

struct run {
	struct job_conf		 job;
	struct job_env		 env;
	struct job_result	 res;
	volatile sig_atomic_t	 cancel;
	int			 progress_calls;
	int			 cancel_after;	/* >0: cancel at that report */
	struct job_progress	 last;
	char			*dir;
	int			 rc;
};

static void
on_progress(void *arg, const struct job_progress *p)
{
	struct run	*r = arg;

	r->progress_calls++;
	r->last = *p;
	if (r->cancel_after > 0 && r->progress_calls >= r->cancel_after)
		r->cancel = 1;
}

static void
run_init(struct run *r, const char *dir, const char *src, time_t started)
{
	memset(r, 0, sizeof(*r));
	r->job.name = (char *)"snap";
	r->job.kind = JOB_SQLITE;
	r->job.path = (char *)src;
	r->job.compression = COMPRESS_GZIP;
	r->job.compression_level = 6;
	r->job.compression_threads = 2;
	r->dir = (char *)dir;
	r->env.job = &r->job;
	r->env.dir = dir;
	r->env.started = started;
	r->env.file_mode = 0600;
	r->env.progress = on_progress;
	r->env.progress_arg = r;
	r->env.cancel = &r->cancel;
}

static int
run_go(struct run *r)
{
	if ((r->env.dirfd = open(r->dir, O_RDONLY | O_DIRECTORY)) == -1)
		bail("open %s: %s", r->dir, strerror(errno));
	r->rc = job_sqlite_run(&r->env, &r->res);
	close(r->env.dirfd);
	return r->rc;
}

/* The names in dir, sorted, joined by spaces ("" when empty). */
static char *
dir_list(const char *dir)
{
	struct dirent	**ents;
	char		*out;
	size_t		 len = 1;
	int		 n, i;

	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1)
		bail("scandir %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++)
		len += strlen(ents[i]->d_name) + 1;
	out = xcalloc(1, len);
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0) {
			if (*out != '\0')
				strcat(out, " ");
			strcat(out, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

static void
gunzip_to(const char *gz, const char *out)
{
	gzFile	 in;
	FILE	*f;
	char	 buf[65536];
	int	 n;

	if ((in = gzopen(gz, "rb")) == NULL)
		bail("gzopen %s", gz);
	if ((f = fopen(out, "wb")) == NULL)
		bail("fopen %s: %s", out, strerror(errno));
	while ((n = gzread(in, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, f);
	if (n < 0 || fclose(f) != 0)
		bail("gunzip %s failed", gz);
	gzclose(in);
}

/* Checks a restored copy: integrity, invariants, the recorded counts.
 * Returns NULL if all is well, else what is wrong (static). */
static const char *
check_restored(const char *db_path, const struct job_result *res)
{
	static char	 why[512];
	sqlite3		*db;
	char		*ic, sql[256];
	long long	 a, b, sum, n;
	size_t		 i;

	db = xopen(db_path);
	ic = query_text(db, "PRAGMA integrity_check");
	a = query_int(db, "SELECT count(*) FROM a");
	b = query_int(db, "SELECT count(*) FROM b");
	sum = query_int(db, "SELECT sum(bal) FROM acct");
	why[0] = '\0';
	if (strcmp(ic, "ok") != 0)
		snprintf(why, sizeof(why), "integrity_check: %s", ic);
	else if (a != b || a < 0)
		snprintf(why, sizeof(why), "a has %lld rows, b %lld", a, b);
	else if (sum != ACCOUNTS * BALANCE)
		snprintf(why, sizeof(why), "balances sum to %lld", sum);
	else if (res->ntables != 3 || strcmp(res->tables[0].name, "a") != 0 ||
	    strcmp(res->tables[1].name, "acct") != 0 ||
	    strcmp(res->tables[2].name, "b") != 0)
		snprintf(why, sizeof(why), "%zu tables recorded", res->ntables);
	for (i = 0; why[0] == '\0' && i < res->ntables; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"",
		    res->tables[i].name);
		if ((n = query_int(db, sql)) != (long long)res->tables[i].rows)
			snprintf(why, sizeof(why), "%s: recorded %llu rows, "
			    "has %lld", res->tables[i].name,
			    (unsigned long long)res->tables[i].rows, n);
	}
	free(ic);
	sqlite3_close(db);
	return why[0] == '\0' ? NULL : why;
}

/* Restores the artifact of a successful run and checks it. */
static const char *
verify_artifact(struct run *r)
{
	const char	*why;
	char		*gz, *out;

	gz = xasprintf("%s/%s", r->dir, r->res.artifact);
	out = xasprintf("%s/restored.db", top);
	gunzip_to(gz, out);
	why = check_restored(out, &r->res);
	unlink(out);
	free(out);
	free(gz);
	return why;
}

static char *
mkdir_in(const char *name)
{
	char	*p = xasprintf("%s/%s", top, name);

	if (mkdir(p, 0755) == -1)
		bail("mkdir %s: %s", p, strerror(errno));
	return p;
}

static void
rm_rf(const char *path)
{
	char	*cmd = xasprintf("chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'",
		    path, path);

	(void)!system(cmd);
	free(cmd);
}

/*
 * 20 snapshots in a row while the writer commits without pause.
 */
static void
test_under_writer(int wal)
{
	const char		*mode = wal ? "wal" : "rollback";
	struct writer_proc	 w;
	struct run		 r;
	char			*src, *out, *db, *name, *list, want[64];
	const char		*why;
	long long		 commits, max_ms = 0, lock_ms = 0;
	int			 i, n = slow ? 3 : 20;
	int64_t			 t0;

	src = mkdir_in(wal ? "src-wal" : "src-rb");
	out = mkdir_in(wal ? "out-wal" : "out-rb");
	db = xasprintf("%s/app.db", src);
	make_db(db, wal, slow ? 2000 : 10000);
	w = writer_start(db, 0);
	t0 = util_now_ms();
	for (i = 0; i < 20; i++) {
		if (i >= n) {
			skip(1, "under valgrind: %d snapshots", n);
			continue;
		}
		run_init(&r, out, db, 1767225600 + i);	/* 2026-01-01 */
		if (run_go(&r) != CAIRN_E_OK) {
			ok(0, "%s: snapshot %d under a writer", mode, i + 1);
			diag("code %d: %s", r.rc, r.res.message);
			continue;
		}
		snprintf(want, sizeof(want), "snap_backup_20260101_0000%02d.db.gz",
		    i);
		why = strcmp(r.res.artifact, want) != 0 ? "artifact name" :
		    verify_artifact(&r);
		if (!ok(why == NULL, "%s: snapshot %d under a writer: "
		    "integrity_check ok, a = b, sum constant, counts match",
		    mode, i + 1))
			diag("%s (%s)", why, r.res.artifact);
		job_result_free(&r.res);
	}
	commits = writer_finish(&w, &max_ms, &lock_ms);
	ok(commits > 0, "%s: the writer committed throughout (%lld commits "
	    "in %.1f s)", mode, commits, (util_now_ms() - t0) / 1000.0);
	diag("%s: the writer's longest wait for a lock: %lld ms; its longest "
	    "transaction: %lld ms (a loaded machine adds to both)", mode,
	    lock_ms, max_ms);
	list = dir_list(out);
	name = xasprintf("snap_backup_20260101_0000%02d.db.gz", n - 1);
	ok(strstr(list, name) != NULL && strstr(list, ".tmp") == NULL &&
	    strstr(list, ".partial") == NULL, "%s: artifacts only, no "
	    "temporary or partial file left", mode);
	free(name);
	free(list);
	rm_rf(src);
	rm_rf(out);
	free(db);
	free(src);
	free(out);
}

/*
 * Read-only sources: the worker may read the files but write nothing in
 * their folder (a read-only volume).  As root the run happens in a child
 * that became nobody; otherwise the folder is made 0555.
 */

struct ro_result {
	int	 rc;
	char	 artifact[256];
	char	 message[256];
	size_t	 ntables;
	uint64_t rows[3];
};

static int	 as_root;

static void
ro_lock(const char *src)
{
	char	*cmd;

	/* a rollback writer's journal comes and goes: only app.db* */
	if (as_root)
		cmd = xasprintf("chmod 0755 '%s' && chmod 0644 '%s'/app.db && "
		    "{ chmod 0644 '%s'/app.db-* 2>/dev/null; true; }", src, src,
		    src);
	else
		cmd = xasprintf("chmod 0444 '%s'/app.db && "
		    "{ chmod 0444 '%s'/app.db-* 2>/dev/null; true; } && "
		    "chmod 0555 '%s'", src, src, src);
	if (system(cmd) != 0)
		bail("%s failed", cmd);
	free(cmd);
}

/* Runs the engine on src into out as nobody (root) or as ourselves. */
static void
ro_run(struct run *r, struct ro_result *res)
{
	struct ro_result	 child;
	int			 p[2], status;
	pid_t			 pid;
	ssize_t			 n;

	memset(res, 0, sizeof(*res));
	if (!as_root) {
		res->rc = run_go(r);
		snprintf(res->artifact, sizeof(res->artifact), "%s",
		    r->res.artifact);
		snprintf(res->message, sizeof(res->message), "%s",
		    r->res.message);
		return;
	}
	if (chown(r->dir, NOBODY, NOBODY) == -1 || pipe(p) == -1)
		bail("chown/pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		gid_t	 g = NOBODY;

		close(p[0]);
		memset(&child, 0, sizeof(child));
		if (setgroups(1, &g) == -1 || setresgid(g, g, g) == -1 ||
		    setresuid(NOBODY, NOBODY, NOBODY) == -1)
			_exit(70);
		child.rc = run_go(r);
		snprintf(child.artifact, sizeof(child.artifact), "%s",
		    r->res.artifact);
		snprintf(child.message, sizeof(child.message), "%s",
		    r->res.message);
		(void)!write(p[1], &child, sizeof(child));
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], res, sizeof(*res));
	close(p[0]);
	if (waitpid(pid, &status, 0) == -1 || n != (ssize_t)sizeof(*res) ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bail("read-only child failed (status %d)", status);
	/* the parent verifies: give it the same view of the result */
	snprintf(r->res.artifact, sizeof(r->res.artifact), "%s", res->artifact);
}

/* Re-derives the table list of an artifact for check_restored(). */
static const char *
ro_verify(struct run *r, long long want_rows)
{
	static char	 why[300];
	sqlite3		*db;
	char		*gz, *out;
	const char	*w;
	const char	*names[3] = { "a", "acct", "b" };
	char		 sql[64];
	int		 i;

	gz = xasprintf("%s/%s", r->dir, r->res.artifact);
	out = xasprintf("%s/restored.db", top);
	gunzip_to(gz, out);
	/* the counts are the engine's in-process only; rebuild them here */
	r->res.tables = xcalloc(3, sizeof(*r->res.tables));
	r->res.ntables = 3;
	db = xopen(out);
	for (i = 0; i < 3; i++) {
		snprintf(r->res.tables[i].name, sizeof(r->res.tables[i].name),
		    "%s", names[i]);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", names[i]);
		r->res.tables[i].rows = (uint64_t)query_int(db, sql);
	}
	sqlite3_close(db);
	w = check_restored(out, &r->res);
	snprintf(why, sizeof(why), "%s", w ? w : "");
	if (w == NULL && want_rows >= 0 &&
	    (long long)r->res.tables[0].rows != want_rows)
		snprintf(why, sizeof(why), "a has %llu rows, want %lld",
		    (unsigned long long)r->res.tables[0].rows, want_rows);
	job_result_free(&r->res);
	unlink(out);
	free(out);
	free(gz);
	return why[0] ? why : NULL;
}

static void
test_read_only(void)
{
	struct writer_proc	 w;
	struct run		 r;
	struct ro_result	 res;
	char			*src, *out, *db;
	const char		*why;
	long long		 max_ms, lock_ms;
	int			 wal;

	for (wal = 1; wal >= 0; wal--) {
		/* a writer keeps the database (and its -wal, -shm) open */
		src = mkdir_in(wal ? "ro-wal" : "ro-rb");
		out = mkdir_in(wal ? "ro-wal-out" : "ro-rb-out");
		db = xasprintf("%s/app.db", src);
		make_db(db, wal, 3000);
		/* a rollback writer creates journals: in a folder it cannot
		 * write (non-root) it keeps its journal in memory */
		w = writer_start(db, !wal && !as_root);
		ro_lock(src);
		run_init(&r, out, db, 1767225600);
		ro_run(&r, &res);
		if (ok(res.rc == CAIRN_E_OK, "%s, read-only folder, writer "
		    "running: snapshot works", wal ? "wal" : "rollback")) {
			why = ro_verify(&r, -1);
			if (!ok(why == NULL, "... and it is consistent"))
				diag("%s", why);
		} else {
			diag("code %d: %s", res.rc, res.message);
			skip(1, "no artifact");
		}
		if (writer_finish(&w, &max_ms, &lock_ms) <= 0)
			diag("the writer failed");
		rm_rf(src);
		rm_rf(out);
		free(src);
		free(out);
		free(db);
	}
}

/* A WAL database left with -wal and -shm, nobody attached; and one closed
 * cleanly (no -wal): both in a read-only folder. */
static void
test_read_only_idle(void)
{
	sqlite3			*keep;
	struct run		 r;
	struct ro_result	 res;
	char			*src, *out, *db, *cmd, *hold;
	const char		*why;
	int			 crash;

	for (crash = 1; crash >= 0; crash--) {
		hold = mkdir_in("ro-hold");
		src = mkdir_in("ro-idle");
		out = mkdir_in("ro-idle-out");
		db = xasprintf("%s/app.db", hold);
		make_db(db, 1, 3000);
		if (crash) {
			/* copy the files while a connection holds them, as
			 * a crash would leave them */
			keep = xopen(db);
			xexec(keep, "PRAGMA wal_autocheckpoint = 0;"
			    "INSERT INTO a (v) VALUES ('x');"
			    "INSERT INTO b (v) VALUES ('x')");
			cmd = xasprintf("cp '%s'/app.db '%s'/app.db-wal "
			    "'%s'/app.db-shm '%s'/", hold, hold, hold, src);
		} else {
			keep = NULL;
			cmd = xasprintf("cp '%s'/app.db '%s'/", hold, src);
		}
		if (system(cmd) != 0)
			bail("%s failed", cmd);
		free(cmd);
		if (keep != NULL)
			sqlite3_close(keep);
		free(db);
		db = xasprintf("%s/app.db", src);
		ro_lock(src);
		run_init(&r, out, db, 1767225600);
		ro_run(&r, &res);
		if (ok(res.rc == CAIRN_E_OK, "wal, read-only folder, %s: "
		    "snapshot works", crash ? "-wal and -shm left, no writer" :
		    "closed cleanly (no -wal)")) {
			why = ro_verify(&r, crash ? 3001 : 3000);
			if (!ok(why == NULL, "... and it is consistent"))
				diag("%s", why);
		} else {
			diag("code %d: %s", res.rc, res.message);
			skip(1, "no artifact");
		}
		rm_rf(hold);
		rm_rf(src);
		rm_rf(out);
		free(hold);
		free(src);
		free(out);
		free(db);
	}
}

/*
 * Sources that must fail cleanly: a one-line cause, no file left behind.
 */
static void
expect_source_failure(const char *what, const char *src, const char *needle,
    int code)
{
	struct run	 r;
	char		*out, *list;

	out = mkdir_in("fail-out");
	run_init(&r, out, src, 1767225600);
	run_go(&r);
	list = dir_list(out);
	if (!ok(r.rc == code && strstr(r.res.message, needle) != NULL &&
	    strchr(r.res.message, '\n') == NULL && r.res.artifact[0] == '\0' &&
	    *list == '\0', "%s: fails with code %d and \"...%s...\", leaves "
	    "nothing", what, code, needle))
		diag("code %d, message \"%s\", folder holds \"%s\"", r.rc,
		    r.res.message, list);
	free(list);
	job_result_free(&r.res);
	rm_rf(out);
	free(out);
}

static void
test_bad_sources(void)
{
	char		*p, *cmd;
	FILE		*f;
	sqlite3		*db;
	long long	 page;
	int		 fd;

	p = xasprintf("%s/missing.db", top);
	expect_source_failure("missing source", p, "No such file or directory",
	    CAIRN_E_SOURCE);
	free(p);

	p = xasprintf("%s/text.db", top);
	if ((f = fopen(p, "w")) == NULL)
		bail("fopen %s", p);
	for (fd = 0; fd < 100; fd++)
		fprintf(f, "this is not a database, line %d\n", fd);
	fclose(f);
	expect_source_failure("not a database", p, "not an SQLite database",
	    CAIRN_E_SOURCE);
	unlink(p);
	if ((fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644)) != -1)
		close(fd);
	expect_source_failure("empty file", p, "empty file", CAIRN_E_SOURCE);
	unlink(p);
	free(p);

	/* garbage over a b-tree page of a valid database */
	p = xasprintf("%s/corrupt.db", top);
	make_db(p, 0, 2000);
	db = xopen(p);
	page = query_int(db, "SELECT rootpage FROM sqlite_schema "
	    "WHERE name = 'b_v'");
	sqlite3_close(db);
	cmd = xasprintf("dd if=/dev/urandom of='%s' bs=4096 seek=%lld "
	    "count=2 conv=notrunc status=none", p, page + 2);
	if (system(cmd) != 0)
		bail("%s failed", cmd);
	free(cmd);
	expect_source_failure("corrupt pages", p, "corrupt", CAIRN_E_SOURCE);
	/* cut in half */
	cmd = xasprintf("truncate -s 100000 '%s'", p);
	(void)!system(cmd);
	free(cmd);
	expect_source_failure("truncated database", p, "corrupt",
	    CAIRN_E_SOURCE);
	unlink(p);
	free(p);

	/* unreadable: as nobody when root, mode 000 otherwise */
	p = xasprintf("%s/secret.db", top);
	make_db(p, 0, 10);
	chmod(p, 0);
	if (as_root) {
		struct run	 r;
		struct ro_result res;
		char		*out = mkdir_in("fail-out");

		run_init(&r, out, p, 1767225600);
		ro_run(&r, &res);
		if (!ok(res.rc == CAIRN_E_SOURCE &&
		    strstr(res.message, "Permission denied") != NULL &&
		    res.artifact[0] == '\0', "unreadable source: fails with "
		    "code %d and \"...Permission denied...\"", CAIRN_E_SOURCE))
			diag("code %d, message \"%s\"", res.rc, res.message);
		rm_rf(out);
		free(out);
	} else
		expect_source_failure("unreadable source", p,
		    "Permission denied", CAIRN_E_SOURCE);
	unlink(p);
	free(p);
}

static void
test_misc(void)
{
	struct run	 r;
	char		*src, *out, *db, *path, *list;
	unsigned char	 magic[4] = { 0 };
	sqlite3		*c;
	char		*ic;
	int		 fd;

	src = mkdir_in("misc");
	out = mkdir_in("misc-out");
	db = xasprintf("%s/app.db", src);
	make_db(db, 1, slow ? 2000 : 20000);

	/* a stale temporary file from a run that died goes away */
	path = xasprintf("%s/.snap.snapshot.tmp", out);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) == -1)
		bail("open %s", path);
	(void)!write(fd, "junk", 4);
	close(fd);
	run_init(&r, out, db, 1767225600);
	run_go(&r);
	list = dir_list(out);
	ok(r.rc == CAIRN_E_OK && strcmp(list,
	    "snap_backup_20260101_000000.db.gz") == 0, "a stale temporary "
	    "file is replaced and removed");
	ok(r.progress_calls >= 2 && r.last.items_total > 0 &&
	    r.last.items_done == r.last.items_total &&
	    r.last.bytes_out == r.res.info.raw_bytes, "progress reports pages "
	    "done of total, and the bytes written (%d reports)",
	    r.progress_calls);
	ok(r.res.info.stored_bytes > 0 && r.res.info.stored_bytes <
	    r.res.info.raw_bytes && strlen(r.res.info.sha256_hex) == 64,
	    "artifact info: %llu bytes from %llu",
	    (unsigned long long)r.res.info.stored_bytes,
	    (unsigned long long)r.res.info.raw_bytes);
	job_result_free(&r.res);
	free(list);
	free(path);

	/* cancel at the second report */
	rm_rf(out);
	free(out);
	out = mkdir_in("misc-out");
	run_init(&r, out, db, 1767225600);
	r.cancel_after = 2;
	run_go(&r);
	list = dir_list(out);
	if (!ok(r.rc == CAIRN_E_TEMPFAIL && strcmp(r.res.message,
	    "cancelled") == 0 && *list == '\0', "cancel stops the run and "
	    "leaves nothing"))
		diag("code %d \"%s\", folder \"%s\"", r.rc, r.res.message, list);
	free(list);

	/* other compression kinds */
	run_init(&r, out, db, 1767225600);
	r.job.compression = COMPRESS_NONE;
	run_go(&r);
	path = xasprintf("%s/%s", out, r.res.artifact);
	c = xopen(path);
	ic = query_text(c, "PRAGMA integrity_check");
	sqlite3_close(c);
	ok(r.rc == CAIRN_E_OK &&
	    strcmp(r.res.artifact, "snap_backup_20260101_000000.db") == 0 &&
	    strcmp(ic, "ok") == 0, "compression none: NAME.db, a database");
	free(ic);
	free(path);
	job_result_free(&r.res);
	run_init(&r, out, db, 1767225601);
	r.job.compression = COMPRESS_ZSTD;
	r.job.compression_level = 3;
	run_go(&r);
	path = xasprintf("%s/%s", out, r.res.artifact);
	if ((fd = open(path, O_RDONLY)) != -1) {
		(void)!read(fd, magic, sizeof(magic));
		close(fd);
	}
	ok(r.rc == CAIRN_E_OK &&
	    strcmp(r.res.artifact, "snap_backup_20260101_000001.db.zst") == 0 &&
	    magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
	    magic[3] == 0xfd, "compression zstd: NAME.db.zst, zstd frames");
	free(path);
	job_result_free(&r.res);

	rm_rf(src);
	rm_rf(out);
	free(src);
	free(out);
	free(db);
}

int
main(void)
{
	slow = under_valgrind();
	as_root = geteuid() == 0;
	plan(2 * 22 + 4 + 4 + 6 + 6);
	top = tap_tmpdir();
	/* nobody must reach the read-only sources and its output folders */
	if (chmod(top, 0755) == -1)
		bail("chmod %s: %s", top, strerror(errno));
	signal(SIGPIPE, SIG_IGN);

	test_under_writer(1);
	test_under_writer(0);
	test_read_only();
	test_read_only_idle();
	test_bad_sources();
	test_misc();
	rm_rf(top);
	free(top);
	return tap_exit();
}
