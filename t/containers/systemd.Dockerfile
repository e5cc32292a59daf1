# t/containers/systemd.Dockerfile -- Debian 12 booting systemd as PID 1, with
# cairn's run-time libraries and make (t/96-systemd.sh runs `make install`
# from a build tree it mounts); no compiler.
FROM docker.io/library/debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
	systemd systemd-sysv make gawk sqlite3 procps \
	libmariadb3 libsqlite3-0 zlib1g libconfuse2 libseccomp2 libdeflate0 \
	libssl3 libsodium23 libzstd1 \
    && rm -rf /var/lib/apt/lists/*
CMD ["/sbin/init"]
