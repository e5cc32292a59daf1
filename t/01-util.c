/* t/01-util.c -- util and log helpers */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/errors.h"
#include "cairn/log.h"
#include "cairn/util.h"
#include "tap.h"

int
main(void)
{
	char		 buf[64];
	unsigned char	 bytes[] = { 0x00, 0x7f, 0xab, 0xff };
	char		*dir, *path;
	int		 fd;

	plan(13);
	util_utc_stamp(buf, sizeof(buf), 0);
	is_str(buf, "1970-01-01T00:00:00Z", "utc stamp of the epoch");
	util_file_stamp(buf, sizeof(buf), 1795500001);
	is_str(buf, "20261124_060001", "file stamp is YYYYMMDD_HHMMSS in UTC");
	util_hex(buf, bytes, sizeof(bytes));
	is_str(buf, "007fabff", "hex of every nibble");
	is_str(cairn_strerror(CAIRN_E_CONFIG), "configuration error",
	    "outcome code text");
	is_str(cairn_strerror(12345), "unknown error", "unknown code");

	dir = tap_tmpdir();
	path = xasprintf("%s/log", dir);
	log_init("t01", 0);
	ok(log_open_file(path) == 0, "log file opens");
	log_info("hello %d", 42);
	fd = open(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	(void)!read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ok(strstr(buf, "t01[") != NULL && strstr(buf, "]: hello 42\n") != NULL,
	    "log line carries program, pid and message");
	unlink(path);

	/* the error return priv and sandbox share */
	errno = 0;
	ok(util_fail(buf, sizeof(buf), ENOENT, "x %d", 1) == -1 &&
	    errno == ENOENT && strcmp(buf, "x 1: No such file or directory") == 0,
	    "util_fail appends strerror and sets errno: %s", buf);
	ok(util_fail(buf, sizeof(buf), 0, "plain") == -1 && errno == EPERM &&
	    strcmp(buf, "plain") == 0, "util_fail without errnum: EPERM");
	ok(util_fail(buf, 4, EINVAL, "longer") == -1 && errno == EINVAL &&
	    strcmp(buf, "lon") == 0, "util_fail cuts to the buffer");
	ok(util_fail(NULL, 0, EIO, "none") == -1 && errno == EIO,
	    "util_fail with no buffer");
	/* /proc/self/status, as priv and sandbox read it */
	ok(util_proc_status("Threads", buf, sizeof(buf)) == 0 &&
	    atoi(buf) >= 1 && strspn(buf, "0123456789") == strlen(buf),
	    "Threads of this process: %s", buf);
	ok(util_proc_status("NoSuchField", buf, sizeof(buf)) == -1 &&
	    errno == ENOENT, "a missing field is ENOENT");
	rmdir(dir);
	free(path);
	free(dir);
	return tap_exit();
}
