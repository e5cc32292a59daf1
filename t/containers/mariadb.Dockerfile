# t/containers/mariadb.Dockerfile -- a stand-in for the official mariadb
# image, built from Debian 12's mariadb-server because no registry is
# reachable here (t/97-compose.sh).  It honours what docker/docker-compose.yaml
# relies on: MARIADB_ROOT_PASSWORD_FILE, MARIADB_DATABASE, MARIADB_USER,
# MARIADB_PASSWORD_FILE, /docker-entrypoint-initdb.d and
# `healthcheck.sh --connect --innodb_initialized` (mariadb-entrypoint.sh,
# mariadb-healthcheck.sh).  A test fixture only: never used by docker/.
FROM docker.io/library/debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
	mariadb-server \
    && rm -rf /var/lib/apt/lists/* /var/lib/mysql \
    && mkdir -p /var/lib/mysql /run/mysqld /docker-entrypoint-initdb.d \
    && chown mysql:mysql /var/lib/mysql /run/mysqld
COPY mariadb-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY mariadb-healthcheck.sh /usr/local/bin/healthcheck.sh
# an empty data folder: a new volume starts uninitialised, as with the
# official image, so the first start runs the initialisation
VOLUME ["/var/lib/mysql"]
EXPOSE 3306
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["mariadbd"]
