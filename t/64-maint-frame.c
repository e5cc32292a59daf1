/* t/64-maint-frame.c -- ITEM, END and RESULT: payloads and order rules */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cairn/frame.h"
#include "tap.h"

static unsigned char	 buf[FRAME_MAX_PAYLOAD];

static int
admit(struct frame_seq *s, int type, const unsigned char *p, uint32_t len,
    uint32_t seq)
{
	struct frame_hdr h = { CAIRN_PROTO_VERSION, (uint8_t)type, 0, len, 7,
	    seq };

	if (frame_seq_admit(s, &h) == -1)
		return -1;
	return frame_seq_payload(s, &h, p);
}

static void
test_item(void)
{
	struct msg_item	 in, out;
	ssize_t		 n;

	memset(&in, 0, sizeof(in));
	in.index = 3;
	in.op = ITEM_VERIFY;
	strcpy(in.name, "a_backup_20261124_060000.db.gz");
	memset(in.sha256_hex, 'a', 64);
	in.raw_bytes = -1;
	in.stored_bytes = 1234;
	in.ntables = 2;
	n = frame_encode_item(buf, sizeof(buf), &in);
	ok(n > 0 && frame_decode_item(buf, (size_t)n, &out) == 0 &&
	    out.index == 3 && out.op == ITEM_VERIFY &&
	    strcmp(out.name, in.name) == 0 &&
	    strcmp(out.sha256_hex, in.sha256_hex) == 0 &&
	    out.raw_bytes == -1 && out.stored_bytes == 1234 &&
	    out.ntables == 2, "ITEM round trip");
	ok(frame_decode_item(buf, (size_t)n - 1, &out) == -1 &&
	    errno == EBADMSG, "a short ITEM refused");

	strcpy(in.name, "../etc/passwd");
	n = frame_encode_item(buf, sizeof(buf), &in);
	ok(frame_decode_item(buf, (size_t)n, &out) == -1,
	    "an ITEM naming a path refused");
	strcpy(in.name, "..");
	n = frame_encode_item(buf, sizeof(buf), &in);
	ok(frame_decode_item(buf, (size_t)n, &out) == -1,
	    "an ITEM naming .. refused");
	strcpy(in.name, ".x.db.gz.partial");
	in.op = ITEM_UNLINK;
	n = frame_encode_item(buf, sizeof(buf), &in);
	ok(frame_decode_item(buf, (size_t)n, &out) == 0,
	    "a hidden temp file may be named for removal");
	in.op = 9;
	n = frame_encode_item(buf, sizeof(buf), &in);
	ok(frame_decode_item(buf, (size_t)n, &out) == -1,
	    "an unknown op refused");
	in.op = ITEM_VERIFY;
	strcpy(in.sha256_hex, "XYZ");
	n = frame_encode_item(buf, sizeof(buf), &in);
	ok(frame_decode_item(buf, (size_t)n, &out) == -1,
	    "a SHA-256 that is not 64 hex digits refused");
}

static void
test_result(void)
{
	struct msg_result	 in, out;
	ssize_t			 n;

	memset(&in, 0, sizeof(in));
	in.index = 1;
	in.code = 93;
	in.failed = 1u << 1;
	in.ran = 0x7;
	strcpy(in.message, "sha256 mismatch");
	memset(in.sha256_hex, 'f', 64);
	in.raw_bytes = 10;
	in.stored_bytes = 5;
	n = frame_encode_result(buf, sizeof(buf), &in);
	ok(n > 0 && frame_decode_result(buf, (size_t)n, &out) == 0 &&
	    out.index == 1 && out.code == 93 && out.failed == 2 &&
	    out.ran == 7 && strcmp(out.message, in.message) == 0 &&
	    strcmp(out.sha256_hex, in.sha256_hex) == 0 &&
	    out.raw_bytes == 10 && out.stored_bytes == 5,
	    "RESULT round trip");
	in.code = 300;
	n = frame_encode_result(buf, sizeof(buf), &in);
	ok(frame_decode_result(buf, (size_t)n, &out) == -1,
	    "a code over 255 refused");
}

static void
test_order(void)
{
	struct frame_seq	 s;
	struct msg_item		 it = { .op = ITEM_VERIFY, .name = "x.db.gz",
	    .raw_bytes = -1, .stored_bytes = -1, .ntables = 2 };
	struct table_stat	 t[2] = { { .name = "a" }, { .name = "b" } };
	unsigned char		 ib[512], tb[1024], rb[512];
	struct msg_result	 r = { .message = "ok" };
	ssize_t			 ni, nt, nr;

	ni = frame_encode_item(ib, sizeof(ib), &it);
	nt = frame_encode_tables(tb, sizeof(tb), t, 2);
	nr = frame_encode_result(rb, sizeof(rb), &r);

	frame_seq_init(&s, FRAME_TO_WORKER);
	ok(admit(&s, MSG_HELLO, buf, 12, 1) == 0 &&
	    admit(&s, MSG_ITEM, ib, (uint32_t)ni, 2) == -1,
	    "worker: ITEM before JOB refused");
	frame_seq_init(&s, FRAME_TO_WORKER);
	ok(admit(&s, MSG_HELLO, buf, 12, 1) == 0 &&
	    admit(&s, MSG_JOB, buf, 100, 2) == 0 &&
	    admit(&s, MSG_ITEM, ib, (uint32_t)ni, 3) == 0,
	    "worker: ITEM after JOB accepted");
	ok(admit(&s, MSG_END, NULL, 0, 4) == -1,
	    "worker: END while the ITEM's tables are owed refused");
	frame_seq_init(&s, FRAME_TO_WORKER);
	admit(&s, MSG_HELLO, buf, 12, 1);
	admit(&s, MSG_JOB, buf, 100, 2);
	admit(&s, MSG_ITEM, ib, (uint32_t)ni, 3);
	ok(admit(&s, MSG_TABLES, tb, (uint32_t)nt, 4) == 0 &&
	    admit(&s, MSG_END, NULL, 0, 5) == 0,
	    "worker: the ITEM's TABLES, then END accepted");
	ok(admit(&s, MSG_ITEM, ib, (uint32_t)ni, 6) == -1,
	    "worker: nothing after END");
	frame_seq_init(&s, FRAME_TO_WORKER);
	admit(&s, MSG_HELLO, buf, 12, 1);
	admit(&s, MSG_JOB, buf, 100, 2);
	ok(admit(&s, MSG_TABLES, tb, (uint32_t)nt, 3) == -1,
	    "worker: TABLES without an ITEM refused");
	ok(admit(&s, MSG_RESULT, rb, (uint32_t)nr, 3) == -1,
	    "worker: a RESULT sent to a worker refused");

	frame_seq_init(&s, FRAME_TO_SUP);
	ok(admit(&s, MSG_HELLO, buf, 12, 1) == 0 &&
	    admit(&s, MSG_RESULT, rb, (uint32_t)nr, 2) == 0,
	    "supervisor: RESULT accepted");
	ok(admit(&s, MSG_ITEM, ib, (uint32_t)ni, 3) == -1 &&
	    admit(&s, MSG_END, NULL, 0, 3) == -1,
	    "supervisor: ITEM and END from a worker refused");
}

int
main(void)
{
	plan(18);
	test_item();
	test_result();
	test_order();
	return tap_exit();
}
