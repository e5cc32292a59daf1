#!/bin/sh
# Run by the MariaDB image on its first start (docker-entrypoint-initdb.d):
# the backup account cairn uses, with only what a consistent dump needs.
set -eu
pw=$(cat /run/secrets/mysql_backup_password)
mariadb -uroot -p"$(cat /run/secrets/mysql_root_password)" <<SQL
CREATE USER IF NOT EXISTS 'backup'@'%' IDENTIFIED BY '$pw';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS
    ON *.* TO 'backup'@'%';
SQL
