/*
 * errors -- cairn's outcome codes.
 *
 * Contract
 *   - One list, append only, never renumbered: a code is a worker's exit
 *     status, the status in a DONE frame, a field of the audit trail and
 *     cairnd's/cairnctl's exit status, so it is part of the ABI.
 *   - Codes 64..78 follow sysexits(3); 90.. are cairn's own.
 */
#ifndef CAIRN_ERRORS_H
#define CAIRN_ERRORS_H

#define CAIRN_ERRORS \
	X(OK,		 0, "success") \
	X(FAIL,		 1, "failed") \
	X(USAGE,	64, "usage error") \
	X(DATAERR,	65, "bad input data") \
	X(NOINPUT,	66, "cannot open input") \
	X(UNAVAILABLE,	69, "service unavailable") \
	X(SOFTWARE,	70, "internal error") \
	X(OSERR,	71, "system error") \
	X(CANTCREAT,	73, "cannot create output") \
	X(IOERR,	74, "input/output error") \
	X(TEMPFAIL,	75, "temporary failure, will retry") \
	X(PROTOCOL,	76, "protocol error") \
	X(NOPERM,	77, "permission denied") \
	X(CONFIG,	78, "configuration error") \
	X(DB_CONNECT,	90, "cannot connect to database") \
	X(DB_DUMP,	91, "dump query failed") \
	X(STORE,	92, "cannot write backup") \
	X(VERIFY,	93, "verification failed") \
	X(SOURCE,	94, "source database missing or corrupt") \
	X(NORESTART,	100, "permanent failure, do not restart")

enum cairn_err {
#define X(name, code, text)	CAIRN_E_##name = code,
	CAIRN_ERRORS
#undef X
};

/* The text of a code, "unknown error" for one not in the list. */
const char	*cairn_strerror(int);

#endif /* CAIRN_ERRORS_H */
