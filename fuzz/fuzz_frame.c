/*
 * fuzz_frame -- libFuzzer target for the worker protocol: the input is a
 * stream of bytes a hostile worker (or, with the first byte odd, a hostile
 * supervisor) could send; every frame is checked and decoded the way cairnd
 * and the worker do it.  Nothing may crash, leak or read out of bounds.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/frame.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
decode(const struct frame_hdr *h, const unsigned char *p)
{
	static struct table_stat	 t[FRAME_TABLES_PER_FRAME];
	struct msg_hello		 hello;
	struct frame_job		 job;
	struct job_progress		 prog;
	struct msg_log			 log;
	struct msg_artifact		 art;
	struct msg_done			 done;
	size_t				 n;

	switch (h->type) {
	case MSG_HELLO:
		(void)frame_decode_hello(p, h->len, &hello);
		break;
	case MSG_JOB:
		(void)frame_decode_job(p, h->len, &job);
		frame_job_free(&job);
		break;
	case MSG_HEARTBEAT:
		(void)frame_decode_heartbeat(p, h->len, &prog);
		break;
	case MSG_LOG:
		(void)frame_decode_log(p, h->len, &log);
		break;
	case MSG_ARTIFACT:
		(void)frame_decode_artifact(p, h->len, &art);
		break;
	case MSG_TABLES:
		(void)frame_decode_tables(p, h->len, t, FRAME_TABLES_PER_FRAME,
		    &n);
		break;
	case MSG_DONE:
		(void)frame_decode_done(p, h->len, &done);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_seq	 seq;
	struct frame_hdr	 h;
	size_t			 off = 1;
	unsigned char		*p;
	int			 bad;

	if (size < 1)
		return 0;
	frame_seq_init(&seq, (data[0] & 1) ? FRAME_TO_WORKER : FRAME_TO_SUP);
	while (size - off >= FRAME_HDR_LEN) {
		if (frame_hdr_unpack(&h, data + off) == -1 ||
		    frame_seq_admit(&seq, &h) == -1)
			break;
		off += FRAME_HDR_LEN;
		if (h.len > size - off)
			break;
		/* decode from a copy the exact size of the payload, so any
		 * read past its end is caught by the sanitizer */
		p = malloc(h.len > 0 ? h.len : 1);
		memcpy(p, data + off, h.len);
		bad = frame_seq_payload(&seq, &h, p) == -1;
		if (!bad)
			decode(&h, p);
		free(p);
		if (bad)
			break;
		off += h.len;
	}
	return 0;
}
