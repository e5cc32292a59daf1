/*
 * cairn-sqlite-bench -- the sqlite snapshot engine on a real database, for
 * bench/sqlite.sh.  Built by make, never installed.
 *
 *   cairn-sqlite-bench build [-w] DB MB
 *	build a database of about MB megabytes of realistic rows (customers,
 *	orders, events: names, e-mail addresses, amounts, dates, JSON); -w:
 *	WAL mode
 *   cairn-sqlite-bench writer [-i USEC] DB
 *	commit small transactions until SIGTERM/SIGINT, one every USEC
 *	microseconds (0: back to back); then print "commits=N max_wait_ms=X
 *	max_txn_ms=Y": the longest wait for a lock (from the first busy
 *	callback to the end of the transaction) and the longest transaction
 *   cairn-sqlite-bench snapshot [-c gzip|zstd|none] [-l LEVEL] [-t THREADS]
 *	DB OUTDIR
 *	one snapshot through job_sqlite_run(); prints seconds, bytes, phases
 *   cairn-sqlite-bench copy held|steps DB OUT
 *	the two ways to drive the backup API, for docs/sqlite-snapshots.md:
 *	held = one sqlite3_backup_step(-1) under a read transaction; steps =
 *	what the sqlite3 shell's .backup does (100 pages a step, no read
 *	transaction between steps), giving up after 60 s
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cairn/age.h"
#include "cairn/errors.h"
#include "cairn/verify.h"
#include "engine.h"
#include "cairn/util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: cairn-sqlite-bench build [-w] DB MB\n"
	    "       cairn-sqlite-bench writer [-i USEC] DB\n"
	    "       cairn-sqlite-bench snapshot [-c KIND] [-l LEVEL] "
	    "[-t THREADS] [-r AGE_RECIPIENT] DB OUTDIR\n"
	    "       cairn-sqlite-bench verify [-i IDENTITY_FILE] DIR ARTIFACT\n"
	    "       cairn-sqlite-bench copy held|steps DB OUT\n");
	exit(64);
}

static void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "cairn-sqlite-bench: %s: %s\n", what,
	    db ? sqlite3_errmsg(db) : "error");
	exit(1);
}

static void
xexec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

static double
now_s(void)
{
	return util_now_ms() / 1000.0;
}

/*
 * build
 */

static unsigned long long	 rng = 0x2545f4914f6cdd1dULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)((rng >> 11) % n);
}

static const char *const first[] = {
	"Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hiro",
	"Ines", "Jonas", "Kofi", "Lena", "Marek", "Nora", "Omar", "Paula",
	"Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Yara",
	"Zoe", "Mateo", "Amelie", "Noah", "Lucia", "Emil", "Sofia", "Luca",
};
static const char *const last[] = {
	"Schmidt", "Nguyen", "Garcia", "Kowalski", "Rossi", "Dubois",
	"Yilmaz", "Jensen", "Novak", "Silva", "Tanaka", "Okafor", "Murphy",
	"Larsen", "Fischer", "Moreau", "Horvat", "Petrov", "Costa", "Berg",
	"Weber", "Lopez", "Kim", "Haddad", "Ivanova", "Meyer", "Santos",
};
static const char *const cities[] = {
	"Berlin", "Lisbon", "Osaka", "Lagos", "Toronto", "Melbourne",
	"Krakow", "Lyon", "Izmir", "Bergen", "Recife", "Nairobi", "Graz",
	"Porto", "Seville", "Utrecht", "Tampere", "Brno", "Cork", "Leeds",
};
static const char *const domains[] = {
	"example.com", "mail.example.org", "corp.example.net", "example.de",
};
static const char *const statuses[] = {
	"new", "paid", "shipped", "delivered", "cancelled", "refunded",
};
static const char *const words[] = {
	"please", "deliver", "before", "noon", "leave", "at", "the", "door",
	"gift", "wrap", "call", "on", "arrival", "fragile", "second", "floor",
	"invoice", "to", "company", "address", "express", "customer", "asked",
	"for", "a", "discount", "next", "time", "backorder", "item", "color",
	"blue", "size", "large", "replacement", "sent", "warehouse", "north",
};
static const char *const kinds[] = {
	"login", "logout", "view", "search", "add_to_cart", "checkout",
	"payment", "error", "api_call", "export",
};

static void
date_text(char *buf, size_t len)
{
	snprintf(buf, len, "20%02u-%02u-%02uT%02u:%02u:%02uZ", 20 + rnd(6),
	    1 + rnd(12), 1 + rnd(28), rnd(24), rnd(60), rnd(60));
}

static void
note_text(char *buf, size_t len, unsigned nwords)
{
	size_t	 off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < nwords && off + 16 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", words[rnd(nitems(words))]);
}

static long long
db_bytes(sqlite3 *db)
{
	sqlite3_stmt	*st;
	long long	 n = 0;

	if (sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM "
	    "pragma_page_count(), pragma_page_size()", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
cmd_build(int argc, char **argv)
{
	sqlite3		*db;
	sqlite3_stmt	*cu, *or, *ev;
	char		 name[64], email[96], date[32], note[256], payload[512];
	long long	 target, customers = 0, i;
	int		 c, wal = 0;

	while ((c = getopt(argc, argv, "w")) != -1)
		if (c == 'w')
			wal = 1;
		else
			usage();
	if (argc - optind != 2)
		usage();
	target = atoll(argv[optind + 1]) * 1000 * 1000;
	unlink(argv[optind]);
	if (sqlite3_open(argv[optind], &db) != SQLITE_OK)
		die(db, argv[optind]);
	xexec(db, wal ? "PRAGMA journal_mode = WAL" :
	    "PRAGMA journal_mode = DELETE");
	xexec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;"
	    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, "
	    "email TEXT, city TEXT, created TEXT, balance REAL);"
	    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, "
	    "status TEXT, total REAL, created TEXT, note TEXT);"
	    "CREATE INDEX orders_customer ON orders (customer_id);"
	    "CREATE TABLE events (id INTEGER PRIMARY KEY, ts TEXT, kind TEXT, "
	    "payload TEXT);"
	    "CREATE INDEX events_ts ON events (ts);"
	    "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER);"
	    "INSERT INTO counter VALUES (1, 0);"
	    "BEGIN");
	if (sqlite3_prepare_v2(db, "INSERT INTO customers (name, email, city, "
	    "created, balance) VALUES (?, ?, ?, ?, ?)", -1, &cu, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO orders (customer_id, status, "
	    "total, created, note) VALUES (?, ?, ?, ?, ?)", -1, &or, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO events (ts, kind, payload) "
	    "VALUES (?, ?, ?)", -1, &ev, NULL))
		die(db, "prepare");
	for (i = 0;; i++) {
		if (i % 10 == 0) {
			const char	*f = first[rnd(nitems(first))];
			const char	*l = last[rnd(nitems(last))];

			snprintf(name, sizeof(name), "%s %s", f, l);
			snprintf(email, sizeof(email), "%s.%s%u@%s", f, l,
			    rnd(1000), domains[rnd(nitems(domains))]);
			date_text(date, sizeof(date));
			sqlite3_bind_text(cu, 1, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(cu, 2, email, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(cu, 3, cities[rnd(nitems(cities))], -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(cu, 4, date, -1, SQLITE_TRANSIENT);
			sqlite3_bind_double(cu, 5, rnd(1000000) / 100.0);
			if (sqlite3_step(cu) != SQLITE_DONE)
				die(db, "insert customer");
			sqlite3_reset(cu);
			customers++;
		}
		date_text(date, sizeof(date));
		note_text(note, sizeof(note), rnd(3) == 0 ? 0 : 3 + rnd(12));
		sqlite3_bind_int64(or, 1, 1 + (long long)rnd((unsigned)customers));
		sqlite3_bind_text(or, 2, statuses[rnd(nitems(statuses))], -1,
		    SQLITE_STATIC);
		sqlite3_bind_double(or, 3, rnd(50000) / 100.0);
		sqlite3_bind_text(or, 4, date, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(or, 5, note, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(or) != SQLITE_DONE)
			die(db, "insert order");
		sqlite3_reset(or);

		date_text(date, sizeof(date));
		snprintf(payload, sizeof(payload), "{\"user\":%u,\"session\":"
		    "\"%08x%08x\",\"ip\":\"10.%u.%u.%u\",\"ms\":%u,\"path\":"
		    "\"/%s/%s\",\"ok\":%s}", rnd(100000), rnd(1u << 31),
		    rnd(1u << 31), rnd(256), rnd(256), rnd(256), rnd(5000),
		    words[rnd(nitems(words))], words[rnd(nitems(words))],
		    rnd(10) ? "true" : "false");
		sqlite3_bind_text(ev, 1, date, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ev, 2, kinds[rnd(nitems(kinds))], -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(ev, 3, payload, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ev) != SQLITE_DONE)
			die(db, "insert event");
		sqlite3_reset(ev);
		if (i % 20000 == 0 && db_bytes(db) >= target)
			break;
	}
	sqlite3_finalize(cu);
	sqlite3_finalize(or);
	sqlite3_finalize(ev);
	xexec(db, "COMMIT");
	printf("build: %s: %lld bytes, %lld customers, %lld orders and "
	    "events, %s\n", argv[optind], db_bytes(db), customers, i + 1,
	    wal ? "wal" : "rollback journal");
	sqlite3_close(db);
	return 0;
}

/*
 * writer
 */

static volatile sig_atomic_t	 stop;
static int64_t			 busy_start;	/* first busy call, or 0 */

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
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cmd_writer(int argc, char **argv)
{
	sqlite3		*db;
	char		 sql[256];
	long long	 n = 0, interval = 1000;
	int64_t		 t0, dt, max = 0, max_lock = 0;
	int		 c;

	while ((c = getopt(argc, argv, "i:")) != -1)
		if (c == 'i')
			interval = atoll(optarg);
		else
			usage();
	if (argc - optind != 1)
		usage();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (sqlite3_open(argv[optind], &db) != SQLITE_OK)
		die(db, argv[optind]);
	sqlite3_busy_handler(db, writer_busy, NULL);
	xexec(db, "PRAGMA synchronous = NORMAL");
	while (!stop) {
		snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE;"
		    "INSERT INTO events (ts, kind, payload) VALUES "
		    "(strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ'), 'bench', "
		    "'{\"n\":%lld}');"
		    "UPDATE counter SET n = n + 1 WHERE id = 1;"
		    "COMMIT", n);
		t0 = util_now_ms();
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			die(db, "commit");
		dt = util_now_ms() - t0;
		if (dt > max)
			max = dt;
		if (busy_start != 0 && util_now_ms() - busy_start > max_lock)
			max_lock = util_now_ms() - busy_start;
		busy_start = 0;
		n++;
		if (interval > 0)
			usleep((useconds_t)interval);
	}
	sqlite3_close(db);
	printf("commits=%lld max_wait_ms=%lld max_txn_ms=%lld\n", n,
	    (long long)max_lock, (long long)max);
	return 0;
}

/*
 * snapshot
 */

struct phases {
	char	 current[192];
	double	 snapshot, compress;	/* when each began */
};

/* The engine reports "snapshot" while it copies, then "compress" while
 * it compresses (the check of the copy runs alongside). */
static void
on_progress(void *arg, const struct job_progress *p)
{
	struct phases	*ph = arg;

	if (strcmp(p->current, ph->current) == 0)
		return;
	snprintf(ph->current, sizeof(ph->current), "%s", p->current);
	if (strcmp(p->current, "snapshot") == 0)
		ph->snapshot = now_s();
	else if (strcmp(p->current, "compress") == 0)
		ph->compress = now_s();
}

static int
cmd_snapshot(int argc, char **argv)
{
	struct job_conf		 job;
	struct job_env		 env;
	struct job_result	 res;
	struct phases		 ph;
	volatile sig_atomic_t	 cancel = 0;
	char			*recips[2] = { NULL, NULL };
	double			 t0, t1;
	int			 c, rc;

	memset(&job, 0, sizeof(job));
	job.name = (char *)"bench";
	job.kind = JOB_SQLITE;
	job.compression = COMPRESS_GZIP;
	job.compression_level = 6;
	job.compression_threads = 0;
	while ((c = getopt(argc, argv, "c:l:r:t:")) != -1)
		switch (c) {
		case 'c':
			if (strcmp(optarg, "zstd") == 0)
				job.compression = COMPRESS_ZSTD;
			else if (strcmp(optarg, "none") == 0)
				job.compression = COMPRESS_NONE;
			else if (strcmp(optarg, "gzip") != 0)
				usage();
			break;
		case 'l':
			job.compression_level = atoi(optarg);
			break;
		case 't':
			job.compression_threads = atoi(optarg);
			break;
		case 'r':
			recips[0] = optarg;
			job.age_recipients = recips;
			break;
		default:
			usage();
		}
	if (argc - optind != 2)
		usage();
	job.path = argv[optind];
	memset(&env, 0, sizeof(env));
	memset(&ph, 0, sizeof(ph));
	env.job = &job;
	env.dir = argv[optind + 1];
	if ((env.dirfd = open(env.dir, O_RDONLY | O_DIRECTORY)) == -1) {
		fprintf(stderr, "cairn-sqlite-bench: %s: %s\n", env.dir,
		    strerror(errno));
		return 1;
	}
	env.started = time(NULL);
	env.file_mode = 0600;
	env.progress = on_progress;
	env.progress_arg = &ph;
	env.cancel = &cancel;
	t0 = now_s();
	rc = job_sqlite_run(&env, &res);
	t1 = now_s();
	close(env.dirfd);
	if (rc != CAIRN_E_OK) {
		fprintf(stderr, "cairn-sqlite-bench: snapshot failed (%d): %s\n",
		    rc, res.message);
		return 1;
	}
	printf("seconds=%.3f raw=%llu out=%llu tables=%zu artifact=%s "
	    "copy=%.3f check+compress=%.3f\n", t1 - t0,
	    (unsigned long long)res.info.raw_bytes,
	    (unsigned long long)res.info.stored_bytes, res.ntables,
	    res.artifact, ph.compress - ph.snapshot, t1 - ph.compress);
	job_result_free(&res);
	return 0;
}

/*
 * verify: the after-backup verification of an artifact, as the verify
 * worker runs it (no catalog: every check but the catalog comparisons)
 */

static int
cmd_verify(int argc, char **argv)
{
	struct verify_opts	 vo;
	struct verify_result	 vr;
	struct age_identity	*ids = NULL;
	struct rusage		 ru;
	char			 text[8192], err[160];
	ssize_t			 len;
	double			 t0, t1;
	int			 c, n = 0, fd, dirfd, rc;

	while ((c = getopt(argc, argv, "i:")) != -1)
		switch (c) {
		case 'i':
			if ((fd = open(optarg, O_RDONLY)) == -1 ||
			    (len = util_read_all(fd, text, sizeof(text) - 1)) <
			    0) {
				perror(optarg);
				return 1;
			}
			close(fd);
			text[len] = '\0';
			if ((n = age_identities_parse(text, &ids, err,
			    sizeof(err))) == -1) {
				fprintf(stderr, "cairn-sqlite-bench: %s: %s\n",
				    optarg, err);
				return 1;
			}
			break;
		default:
			usage();
		}
	if (argc - optind != 2)
		usage();
	memset(&vo, 0, sizeof(vo));
	vo.dir = argv[optind];
	vo.age_ids = ids;
	vo.nage_ids = (size_t)n;
	if ((dirfd = open(vo.dir, O_RDONLY | O_DIRECTORY)) == -1) {
		fprintf(stderr, "cairn-sqlite-bench: %s: %s\n", vo.dir,
		    strerror(errno));
		return 1;
	}
	t0 = now_s();
	rc = verify_artifact(dirfd, argv[optind + 1], NULL, &vo, &vr);
	t1 = now_s();
	close(dirfd);
	age_identities_free(ids, (size_t)n);
	getrusage(RUSAGE_SELF, &ru);
	printf("verify: seconds=%.3f rc=%d ran=0x%x raw=%llu maxrss_kb=%ld "
	    "%s\n", t1 - t0, rc, vr.ran, (unsigned long long)vr.raw_bytes,
	    ru.ru_maxrss, vr.message);
	verify_result_free(&vr);
	return rc == CAIRN_E_OK ? 0 : 1;
}

/*
 * copy: the approaches compared in docs/sqlite-snapshots.md
 */

static int
cmd_copy(int argc, char **argv)
{
	sqlite3		*src, *dst;
	sqlite3_backup	*b;
	char		*uri;
	double		 t0, deadline;
	long long	 steps = 0, restarts = 0;
	int		 held, rc, done, prev = 0;

	if (argc != 4)
		usage();
	held = strcmp(argv[1], "held") == 0;
	if (!held && strcmp(argv[1], "steps") != 0)
		usage();
	uri = xasprintf("file:%s?mode=ro", argv[2]);
	unlink(argv[3]);
	if (sqlite3_open_v2(uri, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK)
		die(src, uri);
	free(uri);
	sqlite3_busy_timeout(src, 600000);
	if (sqlite3_open(argv[3], &dst) != SQLITE_OK)
		die(dst, argv[3]);
	xexec(dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
	t0 = now_s();
	deadline = t0 + 60;
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		die(dst, "backup_init");
	if (held) {
		xexec(src, "BEGIN; SELECT count(*) FROM sqlite_schema");
		rc = sqlite3_backup_step(b, -1);
	} else {
		/* the sqlite3 shell's .backup: 100 pages a step */
		while ((rc = sqlite3_backup_step(b, 100)) == SQLITE_OK ||
		    rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			steps++;
			done = sqlite3_backup_pagecount(b) -
			    sqlite3_backup_remaining(b);
			if (done <= prev && prev > 0)
				restarts++;
			prev = done;
			if (rc != SQLITE_OK)
				sqlite3_sleep(100);
			if (now_s() > deadline)
				break;
		}
	}
	sqlite3_backup_finish(b);
	if (held)
		xexec(src, "COMMIT");
	printf("copy %s: %s in %.3f s, %lld steps, %lld restarts\n", argv[1],
	    rc == SQLITE_DONE ? "done" : "NOT done", now_s() - t0, steps,
	    restarts);
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc == SQLITE_DONE ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "writer") == 0)
		return cmd_writer(argc - 1, argv + 1);
	if (strcmp(argv[1], "snapshot") == 0)
		return cmd_snapshot(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "copy") == 0)
		return cmd_copy(argc - 1, argv + 1);
	usage();
	return 64;
}
