/* t/35-frame.c -- the worker protocol: frames, payloads, order, channel */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/chan.h"
#include "cairn/frame.h"
#include "cairn/log.h"
#include "tap.h"

static unsigned char	 buf[FRAME_MAX_PAYLOAD];

static struct frame_hdr
hdr(int type, uint32_t len, uint32_t seq)
{
	struct frame_hdr h = { CAIRN_PROTO_VERSION, (uint8_t)type, 0, len,
	    7, seq };

	return h;
}

static void
test_header(void)
{
	struct frame_hdr	 in = hdr(MSG_HEARTBEAT, 40, 3), out;
	unsigned char		 w[FRAME_HDR_LEN];

	in.flags = FRAME_F_FD;
	frame_hdr_pack(w, &in);
	ok(frame_hdr_unpack(&out, w) == 0, "header round trip unpacks");
	ok(memcmp(&in, &out, sizeof(in)) == 0, "header round trip is lossless");
	is_int(w[4] << 24 | w[5] << 16 | w[6] << 8 | w[7], 40,
	    "length is big-endian at offset 4");
	in.len = FRAME_MAX_PAYLOAD + 1;
	frame_hdr_pack(w, &in);
	ok(frame_hdr_unpack(&out, w) == -1 && errno == EMSGSIZE,
	    "oversized payload rejected from the header alone");
	in = hdr(MSG_DONE, 8, 1);
	frame_hdr_pack(w, &in);
	w[0] = 0x7f;
	ok(frame_hdr_unpack(&out, w) == -1 && errno == EPROTONOSUPPORT,
	    "unknown version rejected");
	frame_hdr_pack(w, &in);
	w[1] = MSG_TYPE_MAX;
	ok(frame_hdr_unpack(&out, w) == -1 && errno == EBADMSG,
	    "unknown type rejected");
	w[1] = 0;
	ok(frame_hdr_unpack(&out, w) == -1 && errno == EBADMSG,
	    "type 0 rejected");
	frame_hdr_pack(w, &in);
	w[2] = 0x80;
	ok(frame_hdr_unpack(&out, w) == -1 && errno == EBADMSG,
	    "unknown flag bits rejected");
}

static int
admit(struct frame_seq *s, int type, uint32_t len, uint32_t seq)
{
	struct frame_hdr h = hdr(type, len, seq);

	return frame_seq_admit(s, &h);
}

static void
test_order(void)
{
	struct frame_seq	 s;
	struct frame_hdr	 h;
	unsigned char		 p[128];
	struct msg_artifact	 a = { .name = "x.db.gz", .ntables = 3 };
	struct table_stat	 t[2] = { { .name = "a" }, { .name = "b" } };
	ssize_t			 n;

	frame_seq_init(&s, FRAME_TO_WORKER);
	ok(admit(&s, MSG_JOB, 100, 1) == -1 && errno == EPROTO,
	    "worker: JOB before HELLO refused");
	frame_seq_init(&s, FRAME_TO_WORKER);
	ok(admit(&s, MSG_HELLO, 13, 1) == -1 && errno == EPROTO,
	    "worker: HELLO of the wrong size refused");
	frame_seq_init(&s, FRAME_TO_WORKER);
	ok(admit(&s, MSG_HELLO, 12, 1) == 0 && admit(&s, MSG_JOB, 100, 2) == 0,
	    "worker: HELLO then JOB accepted");
	ok(admit(&s, MSG_JOB, 100, 3) == -1, "worker: a second JOB refused");
	frame_seq_init(&s, FRAME_TO_WORKER);
	ok(admit(&s, MSG_HELLO, 12, 1) == 0 &&
	    admit(&s, MSG_HEARTBEAT, 40, 2) == -1,
	    "worker: a HEARTBEAT towards the worker refused");

	frame_seq_init(&s, FRAME_TO_SUP);
	ok(admit(&s, MSG_HEARTBEAT, 40, 1) == -1,
	    "supervisor: HEARTBEAT before HELLO refused");
	frame_seq_init(&s, FRAME_TO_SUP);
	ok(admit(&s, MSG_HELLO, 12, 1) == 0 && admit(&s, MSG_JOB, 100, 2) == -1,
	    "supervisor: a JOB from a worker refused");
	frame_seq_init(&s, FRAME_TO_SUP);
	ok(admit(&s, MSG_HELLO, 12, 1) == 0 &&
	    admit(&s, MSG_HEARTBEAT, 40, 3) == -1,
	    "supervisor: a gap in frame numbers refused");
	frame_seq_init(&s, FRAME_TO_SUP);
	admit(&s, MSG_HELLO, 12, 1);
	ok(admit(&s, MSG_HEARTBEAT, 34 + 192, 2) == -1,
	    "supervisor: HEARTBEAT over its size bound refused");

	frame_seq_init(&s, FRAME_TO_SUP);
	admit(&s, MSG_HELLO, 12, 1);
	n = frame_encode_artifact(p, sizeof(p), &a);
	h = hdr(MSG_ARTIFACT, (uint32_t)n, 2);
	ok(frame_seq_admit(&s, &h) == 0 && frame_seq_payload(&s, &h, p) == 0,
	    "supervisor: ARTIFACT announcing 3 tables accepted");
	ok(admit(&s, MSG_LOG, 10, 3) == 0, "LOG between ARTIFACT and TABLES");
	ok(admit(&s, MSG_DONE, 10, 4) == -1 && errno == EPROTO,
	    "DONE while tables are owed refused");
	frame_seq_init(&s, FRAME_TO_SUP);
	admit(&s, MSG_HELLO, 12, 1);
	h = hdr(MSG_ARTIFACT, (uint32_t)n, 2);
	frame_seq_admit(&s, &h);
	frame_seq_payload(&s, &h, p);
	n = frame_encode_tables(p, sizeof(p), t, 2);
	h = hdr(MSG_TABLES, (uint32_t)n, 3);
	ok(frame_seq_admit(&s, &h) == 0 && frame_seq_payload(&s, &h, p) == 0,
	    "2 of 3 tables accepted");
	h.seq = 4;
	ok(frame_seq_admit(&s, &h) == 0 && frame_seq_payload(&s, &h, p) == -1,
	    "more tables than announced refused");
	frame_seq_init(&s, FRAME_TO_SUP);
	admit(&s, MSG_HELLO, 12, 1);
	n = frame_encode_artifact(p, sizeof(p), &a);
	h = hdr(MSG_ARTIFACT, (uint32_t)n, 2);
	frame_seq_admit(&s, &h);
	frame_seq_payload(&s, &h, p);
	n = frame_encode_tables(p, sizeof(p), t, 2);
	h = hdr(MSG_TABLES, (uint32_t)n, 3);
	frame_seq_admit(&s, &h);
	frame_seq_payload(&s, &h, p);
	n = frame_encode_tables(p, sizeof(p), t, 1);
	h = hdr(MSG_TABLES, (uint32_t)n, 4);
	frame_seq_admit(&s, &h);
	frame_seq_payload(&s, &h, p);
	ok(admit(&s, MSG_DONE, 10, 5) == 0 && frame_seq_done(&s),
	    "DONE after all tables accepted");
	ok(admit(&s, MSG_LOG, 10, 6) == -1, "nothing accepted after DONE");
	frame_seq_init(&s, FRAME_TO_SUP);
	admit(&s, MSG_HELLO, 12, 1);
	a.ntables = 0;
	n = frame_encode_artifact(p, sizeof(p), &a);
	h = hdr(MSG_ARTIFACT, (uint32_t)n, 2);
	frame_seq_admit(&s, &h);
	frame_seq_payload(&s, &h, p);
	h.seq = 3;
	ok(frame_seq_admit(&s, &h) == 0 && frame_seq_payload(&s, &h, p) == -1,
	    "a second ARTIFACT refused");
}

static void
test_job(void)
{
	char			*dbs[] = { "shop", "crm", NULL };
	char			*ex[] = { "shop.log", NULL };
	char			 longname[CONF_JOB_NAME_MAX + 2];
	struct frame_job	 in, out;
	ssize_t			 n;
	int			 all_short = 1;

	memset(&in, 0, sizeof(in));
	in.job.name = "db1";
	in.job.kind = JOB_MYSQL;
	in.job.compression = COMPRESS_ZSTD;
	in.job.compression_level = 9;
	in.job.db.host = "db.example";
	in.job.db.port = 3307;
	in.job.db.user = "backup";
	in.job.db.ssl_mode = SSL_MODE_REQUIRED;
	in.job.db.connect_timeout = 10;
	in.job.db.read_timeout = 300;
	in.job.databases = dbs;
	in.job.exclude_tables = ex;
	in.job.checksum = true;
	in.dir = "/var/backups/cairn/db1";
	in.password = "s3cret";
	in.started = 1700000000;
	in.first_run = 1;
	in.file_mode = 0640;
	in.heartbeat_interval = 5;
	in.heartbeat_timeout = 60;
	in.fault = FAULT_HANG;
	in.retention.days = 7;
	in.retention.keep_min = 2;

	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(n > 0, "job encodes (%zd bytes)", n);
	ok(frame_decode_job(buf, n, &out) == 0, "job decodes");
	is_str(out.job.name, "db1", "name survives");
	ok(out.job.kind == JOB_MYSQL && out.job.compression == COMPRESS_ZSTD &&
	    out.job.compression_level == 9 && out.job.db.port == 3307 &&
	    out.job.db.ssl_mode == SSL_MODE_REQUIRED && out.job.checksum,
	    "numbers and flags survive");
	ok(out.job.db.socket == NULL && out.job.path == NULL,
	    "absent strings stay absent");
	ok(out.job.databases != NULL && strcmp(out.job.databases[1], "crm") == 0
	    && out.job.databases[2] == NULL && out.job.exclude_tables[1] == NULL,
	    "lists survive, NULL-terminated");
	is_str(out.password, "s3cret", "password survives");
	ok(out.started == 1700000000 && out.file_mode == 0640 &&
	    out.fault == FAULT_HANG && out.retention.keep_min == 2,
	    "run parameters survive");
	frame_job_free(&out);

	for (ssize_t i = 0; i < n; i++) {
		if (frame_decode_job(buf, i, &out) == 0 || errno != EBADMSG)
			all_short = 0;
		frame_job_free(&out);
	}
	ok(all_short, "every truncation of a job is refused (EBADMSG)");
	ok(frame_decode_job(buf, n + 1, &out) == -1, "a trailing byte refused");
	frame_job_free(&out);

	in.job.name = "../etc";
	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(frame_decode_job(buf, n, &out) == -1, "a job name with / refused");
	frame_job_free(&out);
	/* the config's rule, not a looser one (issue 14) */
	in.job.name = "-rf";
	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(frame_decode_job(buf, n, &out) == -1,
	    "a job name starting with - refused, as in the config");
	frame_job_free(&out);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';		/* 65 characters */
	in.job.name = longname;
	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(frame_decode_job(buf, n, &out) == -1,
	    "a job name over %d characters refused", CONF_JOB_NAME_MAX);
	frame_job_free(&out);
	longname[CONF_JOB_NAME_MAX] = '\0';
	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(frame_decode_job(buf, n, &out) == 0 && conf_job_name_ok("a-b.c_1") &&
	    !conf_job_name_ok(".x") && !conf_job_name_ok(""),
	    "a %d-character name decodes; the rule is conf_job_name_ok",
	    CONF_JOB_NAME_MAX);
	frame_job_free(&out);
	in.job.name = "db1";
	in.dir = "relative";
	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(frame_decode_job(buf, n, &out) == -1, "a relative folder refused");
	frame_job_free(&out);
	in.dir = "/x";
	in.job.kind = JOB_KIND_MAX;
	n = frame_encode_job(buf, sizeof(buf), &in);
	ok(frame_decode_job(buf, n, &out) == -1, "an unknown kind refused");
	frame_job_free(&out);
}

static void
test_small(void)
{
	struct job_progress	 p = { 1, 2, 3, 4, "shop.orders" }, q;
	struct msg_log		 l;
	struct msg_artifact	 a, b;
	struct msg_done		 d = { 91, "dump query failed: gone" }, e;
	struct msg_hello	 hi = { CAIRN_PROTO_VERSION, 42, 9 }, ho;
	struct table_stat	 t[3], u[3];
	size_t			 nt;
	ssize_t			 n;
	char			 big[FRAME_LOG_MAX + 100];

	n = frame_encode_hello(buf, sizeof(buf), &hi);
	ok(n == 12 && frame_decode_hello(buf, n, &ho) == 0 && ho.pid == 42 &&
	    ho.gen == 9, "hello round trip");
	buf[3] = 2;
	ok(frame_decode_hello(buf, n, &ho) == -1, "hello of another version "
	    "refused");

	n = frame_encode_heartbeat(buf, sizeof(buf), &p);
	ok(n > 0 && frame_decode_heartbeat(buf, n, &q) == 0 &&
	    q.bytes_in == 1 && q.items_total == 4 &&
	    strcmp(q.current, "shop.orders") == 0, "heartbeat round trip");
	buf[33] = 3;		/* current: "sho" then trailing bytes */
	ok(frame_decode_heartbeat(buf, n, &q) == -1, "heartbeat with a wrong "
	    "string length refused");

	n = frame_encode_log(buf, sizeof(buf), LOG_LVL_WARN, "disk is slow");
	ok(n > 0 && frame_decode_log(buf, n, &l) == 0 &&
	    l.level == LOG_LVL_WARN && strcmp(l.text, "disk is slow") == 0,
	    "log round trip");
	buf[0] = 9;
	ok(frame_decode_log(buf, n, &l) == -1, "log of an unknown level refused");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = frame_encode_log(buf, sizeof(buf), LOG_LVL_INFO, big);
	ok(n == 3 + FRAME_LOG_MAX && frame_decode_log(buf, n, &l) == 0 &&
	    strlen(l.text) == FRAME_LOG_MAX, "a long log line is cut, not lost");
	n = frame_encode_log(buf, sizeof(buf), LOG_LVL_INFO, "abc");
	buf[4] = '\0';
	ok(frame_decode_log(buf, n, &l) == -1, "a string holding NUL refused");

	memset(&a, 0, sizeof(a));
	strcpy(a.name, "db1_backup_20260101_000000.db.gz");
	a.raw_bytes = 1u << 20;
	a.stored_bytes = 1234;
	memset(a.sha256, 0xab, sizeof(a.sha256));
	a.started = 100;
	a.finished = 200;
	a.ntables = 5;
	n = frame_encode_artifact(buf, sizeof(buf), &a);
	ok(n > 0 && frame_decode_artifact(buf, n, &b) == 0 &&
	    strcmp(a.name, b.name) == 0 && b.raw_bytes == a.raw_bytes &&
	    b.stored_bytes == 1234 && memcmp(a.sha256, b.sha256, 32) == 0 &&
	    b.started == 100 && b.finished == 200 && b.ntables == 5,
	    "artifact round trip");
	strcpy(a.name, "../x.db.gz");
	n = frame_encode_artifact(buf, sizeof(buf), &a);
	ok(frame_decode_artifact(buf, n, &b) == -1, "artifact with a path "
	    "refused");
	strcpy(a.name, ".x.partial");
	n = frame_encode_artifact(buf, sizeof(buf), &a);
	ok(frame_decode_artifact(buf, n, &b) == -1, "hidden artifact name "
	    "refused");

	memset(t, 0, sizeof(t));
	strcpy(t[0].name, "shop.orders");
	t[0].rows = 10;
	strcpy(t[1].name, "shop.items");
	t[1].has_checksum = 1;
	t[1].checksum = 77;
	strcpy(t[2].name, "t");
	n = frame_encode_tables(buf, sizeof(buf), t, 3);
	ok(n > 0 && frame_decode_tables(buf, n, u, 3, &nt) == 0 && nt == 3 &&
	    u[0].rows == 10 && u[1].checksum == 77 && u[1].has_checksum == 1 &&
	    strcmp(u[2].name, "t") == 0, "tables round trip");
	ok(frame_decode_tables(buf, n, u, 2, &nt) == -1,
	    "more tables than the caller's room refused");
	ok(frame_encode_tables(buf, sizeof(buf), t, 0) == -1 &&
	    errno == EMSGSIZE, "an empty tables frame is not encoded");

	n = frame_encode_done(buf, sizeof(buf), &d);
	ok(n > 0 && frame_decode_done(buf, n, &e) == 0 && e.code == 91 &&
	    strcmp(e.message, d.message) == 0, "done round trip");
	buf[2] = 1;		/* code 256 + 91 */
	ok(frame_decode_done(buf, n, &e) == -1, "done with a code over 255 "
	    "refused");
	ok(frame_encode_done(buf, 4, &d) == -1 && errno == EMSGSIZE,
	    "encoding into a small buffer fails with EMSGSIZE");
}

static void
test_chan(void)
{
	int			 sp[2], fd, rfd;
	struct chan		*sup, *wrk;
	struct frame_hdr	 h;
	const unsigned char	*p;
	struct stat		 st1, st2;
	struct msg_hello	 hi = { CAIRN_PROTO_VERSION, 1, 5 };
	unsigned char		 w[FRAME_HDR_LEN];
	ssize_t			 n;
	int			 r, got;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		bail("socketpair");
	sup = chan_new(sp[0], FRAME_TO_SUP, 0);
	wrk = chan_new(sp[1], FRAME_TO_WORKER, 1);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);

	if ((fd = open(".", O_RDONLY | O_DIRECTORY)) == -1)
		bail("open .");
	fstat(fd, &st1);
	n = frame_encode_hello(buf, sizeof(buf), &hi);
	chan_queue(sup, MSG_HELLO, 5, buf, n, -1);
	chan_queue(sup, MSG_JOB, 5, "0123456789abcdef", 16, fd);
	ok(chan_want_write(sup) && chan_flush(sup) == 0 &&
	    !chan_want_write(sup), "supervisor flushes HELLO and JOB");
	ok(chan_recv(wrk, &h, &p, 1000) == 0 && h.type == MSG_HELLO &&
	    h.gen == 5, "worker receives HELLO");
	ok(chan_recv(wrk, &h, &p, 1000) == 0 && h.type == MSG_JOB &&
	    h.len == 16 && memcmp(p, "0123456789abcdef", 16) == 0,
	    "worker receives JOB");
	rfd = chan_take_fd(wrk);
	ok(rfd != -1 && fstat(rfd, &st2) == 0 && st1.st_ino == st2.st_ino &&
	    (fcntl(rfd, F_GETFD) & FD_CLOEXEC), "the folder descriptor arrives "
	    "with JOB, close-on-exec");
	close(rfd);
	ok(chan_take_fd(wrk) == -1, "exactly one descriptor");

	/* worker -> supervisor, byte by byte */
	n = frame_encode_hello(buf, sizeof(buf), &hi);
	chan_send(wrk, MSG_HELLO, 5, buf, n, -1);
	got = 0;
	for (int i = 0; i < 40 && !got; i++) {
		r = chan_get(sup, &h, &p);
		if (r == 1)
			got = 1;
		else if (chan_read(sup) <= 0)
			break;
	}
	ok(got && h.type == MSG_HELLO, "supervisor assembles HELLO");

	/* a descriptor from a worker is a violation */
	if ((fd = open(".", O_RDONLY | O_DIRECTORY)) == -1)
		bail("open .");
	chan_send(wrk, MSG_LOG, 5, "\1\0\1x", 4, fd);
	while (chan_read(sup) > 0)
		;
	r = chan_get(sup, &h, &p);
	ok(r == -1 && errno == EPROTO,
	    "a descriptor sent by a worker is refused: %s", chan_error(sup));
	ok(chan_get(sup, &h, &p) == -1 && errno == EPROTO,
	    "the violation is sticky");
	chan_free(sup);
	chan_free(wrk);

	/* an oversized announcement fails on its 16 header bytes */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		bail("socketpair");
	sup = chan_new(sp[0], FRAME_TO_SUP, 0);
	h = hdr(MSG_HELLO, 12, 1);
	frame_hdr_pack(w, &h);
	write(sp[1], w, sizeof(w));
	write(sp[1], buf, frame_encode_hello(buf, sizeof(buf), &hi));
	h = hdr(MSG_LOG, 1u << 30, 2);
	frame_hdr_pack(w, &h);
	write(sp[1], w, sizeof(w));
	chan_read(sup);
	ok(chan_get(sup, &h, &p) == 1 && h.type == MSG_HELLO,
	    "a good HELLO first");
	r = chan_get(sup, &h, &p);
	ok(r == -1 && errno == EMSGSIZE,
	    "then a 1 GiB LOG is refused from its header: %s", chan_error(sup));
	chan_free(sup);
	close(sp[1]);

	/* garbage */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		bail("socketpair");
	sup = chan_new(sp[0], FRAME_TO_SUP, 0);
	write(sp[1], "GET / HTTP/1.0\r\n\r\n", 18);
	chan_read(sup);
	r = chan_get(sup, &h, &p);
	ok(r == -1 && errno == EPROTONOSUPPORT,
	    "garbage is refused: %s", chan_error(sup));
	chan_free(sup);
	close(sp[1]);
}

int
main(void)
{
	plan(69);
	test_header();
	test_order();
	test_job();
	test_small();
	test_chan();
	return tap_exit();
}
