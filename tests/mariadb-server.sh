# Sourced by tests/run.sh and bench/mariadb.sh: installs MariaDB when missing (Debian's
# mariadb-server), starts a throwaway server on 127.0.0.1 without durability, makes a user
# `iterable` with a password and its database `iterable`, sets $mariadb_url to it, and stops
# and deletes the server when the shell exits (chained after an EXIT trap already set).
# Unless $test_server_tls is 0, the server has TLS too (tests/test-certs.sh: $mariadb_tls is
# the directory of its certificates).
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "installing MariaDB for the database tests"
  $as_root apt-get update -qq
  # The package would start a server of its own: policy-rc.d stops that where it is allowed.
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq mariadb-server >/dev/null
fi
mariadbd_bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
mariadb_dir=$(mktemp -d /tmp/iterable-mariadb.XXXXXX)
mariadb_as=()
if [ "$(id -u)" -eq 0 ]; then
  # mariadbd refuses to run as root: the server runs as the mysql user.
  chown mysql "$mariadb_dir"
  mariadb_as=(runuser -u mysql --)
fi
mariadb_tls_options=()
mariadb_tls=""
if [ "${test_server_tls:-1}" != 0 ]; then
  source "$(dirname "${BASH_SOURCE[0]}")/test-certs.sh"
  mariadb_tls="$mariadb_dir/tls"
  make_test_certs "$mariadb_tls" mysql
  mariadb_tls_options=(--ssl-ca="$mariadb_tls/ca.crt" --ssl-cert="$mariadb_tls/server.crt"
    --ssl-key="$mariadb_tls/server.key")
fi
mariadb_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${mariadb_as[@]}" mariadb-install-db --no-defaults --datadir="$mariadb_dir/data" \
  --auth-root-authentication-method=socket --skip-test-db >"$mariadb_dir/install.log" 2>&1
"${mariadb_as[@]}" "$mariadbd_bin" --no-defaults --datadir="$mariadb_dir/data" \
  --socket="$mariadb_dir/socket" --pid-file="$mariadb_dir/pid" --port="$mariadb_port" \
  --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin \
  --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-buffer-pool-size=256M \
  --log-error="$mariadb_dir/log" "${mariadb_tls_options[@]}" >"$mariadb_dir/stderr" 2>&1 &
mariadb_pid=$!
for _ in $(seq 1 100); do
  [ -S "$mariadb_dir/socket" ] && "${mariadb_as[@]}" mariadb-admin --no-defaults \
    --socket="$mariadb_dir/socket" -u mysql ping >/dev/null 2>&1 && break
  kill -0 "$mariadb_pid" 2>/dev/null || { cat "$mariadb_dir/stderr" "$mariadb_dir/log" >&2; exit 1; }
  sleep 0.2
done
mariadb_password="iterable-$RANDOM$RANDOM"
"${mariadb_as[@]}" mariadb --no-defaults --socket="$mariadb_dir/socket" -u mysql <<SQL
CREATE DATABASE iterable;
CREATE USER 'iterable'@'127.0.0.1' IDENTIFIED BY '$mariadb_password';
GRANT ALL ON *.* TO 'iterable'@'127.0.0.1';
SQL
stop_mariadb() {
  kill "$mariadb_pid" 2>/dev/null && wait "$mariadb_pid" 2>/dev/null || true
  rm -rf "$mariadb_dir"
}
previous_exit_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
trap "stop_mariadb; $previous_exit_trap" EXIT
mariadb_url="mysql://iterable:$mariadb_password@127.0.0.1:$mariadb_port/iterable"
