# Sourced by tests/run.sh and bench/postgres.sh: installs PostgreSQL when missing (Debian's
# postgresql), starts a throwaway cluster on 127.0.0.1 without durability (fsync off), sets
# $postgres_url to its `postgres` database, and stops and deletes it when the shell exits.
# Unless $test_server_tls is 0, the server has TLS too (tests/test-certs.sh: $postgres_tls is
# the directory of its certificates), a role `iterable_tls` that may only connect by TLS and
# a role `iterable_cert` that may only connect with the client certificate made for it.
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || ! command -v psql >/dev/null 2>&1; then
  echo "installing PostgreSQL for the database tests"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_dir=$(mktemp -d /tmp/iterable-pg.XXXXXX)
pg_as=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  chown postgres "$pg_dir"
  pg_as=(runuser -u postgres --)
fi
stop_postgres() {
  "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
# Chained after an EXIT trap already set.
previous_exit_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
trap "stop_postgres; $previous_exit_trap" EXIT
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >"$pg_dir/initdb.log" 2>&1
pg_tls_options=""
postgres_tls=""
if [ "${test_server_tls:-1}" != 0 ]; then
  source "$(dirname "${BASH_SOURCE[0]}")/test-certs.sh"
  postgres_tls="$pg_dir/tls"
  make_test_certs "$postgres_tls" postgres
  pg_tls_options="-c ssl=on -c ssl_cert_file=$postgres_tls/server.crt -c ssl_key_file=$postgres_tls/server.key -c ssl_ca_file=$postgres_tls/ca.crt"
  # The first line that matches decides: iterable_tls by TLS only, iterable_cert by its
  # certificate only.
  pg_hba="$pg_dir/data/pg_hba.conf"
  { printf '%s\n' "hostssl all iterable_tls 127.0.0.1/32 trust" \
      "hostnossl all iterable_tls 127.0.0.1/32 reject" \
      "hostssl all iterable_cert 127.0.0.1/32 cert" "host all iterable_cert 127.0.0.1/32 reject"
    cat "$pg_hba"; } >"$pg_hba.new"
  # Written over, not replaced: the file keeps its owner and mode.
  cat "$pg_hba.new" >"$pg_hba"
  rm "$pg_hba.new"
fi
"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $pg_tls_options" >/dev/null
if [ -n "$postgres_tls" ]; then
  "${pg_as[@]}" psql -X -q -h "$pg_dir" -p "$pg_port" -U postgres -d postgres \
    -c "CREATE ROLE iterable_tls LOGIN SUPERUSER" -c "CREATE ROLE iterable_cert LOGIN" >/dev/null
fi
postgres_url="postgres://postgres@127.0.0.1:$pg_port/postgres"
