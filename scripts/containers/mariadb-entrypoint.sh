#!/bin/bash
# Minimal stand-in for the official image's entrypoint: initialise the data directory once.
set -euo pipefail
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=normal >/dev/null
  mariadbd --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 60); do mariadb --socket=/run/mysqld/init.sock -e 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
  mariadb --socket=/run/mysqld/init.sock <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD:?MARIADB_ROOT_PASSWORD is required}';
CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE:-dcs}\`;
CREATE USER IF NOT EXISTS '${MARIADB_USER:-dcs}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD:?MARIADB_PASSWORD is required}';
GRANT ALL ON \`${MARIADB_DATABASE:-dcs}\`.* TO '${MARIADB_USER:-dcs}'@'%';
SQL
  kill "$pid"
  wait "$pid" || true
fi
exec "$@" --bind-address=0.0.0.0 --port=3306
