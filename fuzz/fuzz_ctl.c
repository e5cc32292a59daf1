/*
 * fuzz_ctl -- libFuzzer target for the control protocol's request side
 * (ctl.h): the bytes any member of the control socket's group can send
 * cairnd.  The input is a request as it arrives: the 16-byte header, then
 * the payload (cut to the length the header gives).
 *
 * Checks: a refused header or payload says why (a message and EPROTO,
 * EPROTONOSUPPORT or EMSGSIZE); a parsed request has 1 to CTL_ARGS_MAX
 * strings, a command that is not empty, only known flags, and packs back
 * with ctl_request_pack() into exactly the bytes it came from; every string
 * written back as JSON (as replies quote them) has no raw control
 * character.  A failed check aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/ctlproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ctl_request	 req;	/* 4 KiB: not on the stack */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ctl_hdr	 h;
	struct buf	 b;
	unsigned char	*wire;
	size_t		 plen, wlen, i;
	char		 err[256];
	int		 k;

	if (len < CTL_HDR_LEN)
		return 0;
	ctl_hdr_unpack(&h, data);
	err[0] = '\0';
	if (ctl_request_check(&h, &plen, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || (errno != EPROTO &&
		    errno != EPROTONOSUPPORT && errno != EMSGSIZE))
			abort();
		return 0;
	}
	if (plen == 0 || plen > CTL_REQ_MAX)
		abort();
	if (len - CTL_HDR_LEN < plen)
		return 0;	/* cairnd would wait for the rest */

	if (ctl_request_parse(&req, &h, data + CTL_HDR_LEN, plen, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || (errno != EPROTO && errno != EMSGSIZE))
			abort();
		return 0;
	}
	if (req.argc < 1 || req.argc > CTL_ARGS_MAX ||
	    req.argv[req.argc] != NULL || req.argv[0][0] == '\0' ||
	    (req.flags & ~(uint32_t)CTL_F_KNOWN) != 0)
		abort();

	/* the same request, packed again, is the same bytes */
	if (ctl_request_pack(req.flags, req.argc, req.argv, &wire,
	    &wlen) == -1)
		abort();
	if (wlen != CTL_HDR_LEN + plen || memcmp(wire, data, wlen) != 0)
		abort();
	free(wire);

	/* replies quote what was asked */
	memset(&b, 0, sizeof(b));
	for (k = 0; k < req.argc; k++) {
		ctl_buf_json_str(&b, req.argv[k]);
		ctl_buf_printf(&b, " %s\n", req.argv[k]);
	}
	ctl_buf_json_str(&b, NULL);
	if (b.p == NULL || b.p[b.len] != '\0' || strlen(b.p) > b.len)
		abort();
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	for (k = 0; k < req.argc; k++) {
		ctl_buf_json_str(&b, req.argv[k]);
		for (i = 0; i < b.len; i++)
			if ((unsigned char)b.p[i] < 0x20)
				abort();
		if (b.len < 2 || b.p[0] != '"' || b.p[b.len - 1] != '"')
			abort();
		b.len = 0;
	}
	buf_free(&b);
	return 0;
}
