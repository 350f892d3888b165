#!/usr/bin/env bash
# Throwaway services for the tests, on loopback only: a PostgreSQL cluster in a temporary folder
# on a free port, and moto's S3 server. Source it: it exports STUDIO_TEST_DATABASE_URL and
# STUDIO_TEST_S3_ENDPOINT, and `stop_services` (trapped on exit) stops both and removes the folder.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
  dirname "$(command -v initdb)"
}

as_owner() {  # run a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_services() {
  SERVICES_DIR=$(mktemp -d /tmp/studio-services.XXXXXX)
  local bin port s3_port
  bin=$(pg_bin)
  port=$(free_port)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$SERVICES_DIR"
  as_owner "$bin/initdb" -D "$SERVICES_DIR/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$SERVICES_DIR/initdb.log" 2>&1 \
    || { cat "$SERVICES_DIR/initdb.log"; return 1; }
  as_owner "$bin/pg_ctl" -D "$SERVICES_DIR/pg" -l "$SERVICES_DIR/pg.log" -w -t 60 \
    -o "-p $port -k $SERVICES_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { cat "$SERVICES_DIR/pg.log"; return 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres studio_test
  PG_BIN=$bin
  export STUDIO_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/studio_test"

  s3_port=$(free_port)
  python3 -m moto.server -H 127.0.0.1 -p "$s3_port" >"$SERVICES_DIR/moto.log" 2>&1 &
  MOTO_PID=$!
  export STUDIO_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
  python3 - "$STUDIO_TEST_S3_ENDPOINT" <<'PY' || { cat "$SERVICES_DIR/moto.log"; return 1; }
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("moto's S3 server did not start")
PY
  echo "services: PostgreSQL at $STUDIO_TEST_DATABASE_URL, S3 (moto) at $STUDIO_TEST_S3_ENDPOINT"
}

stop_services() {
  [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
  if [ -n "${SERVICES_DIR:-}" ] && [ -d "$SERVICES_DIR/pg" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "${SERVICES_DIR:-}" ] && rm -rf "$SERVICES_DIR"
  return 0
}
