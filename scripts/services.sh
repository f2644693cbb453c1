# Throw-away PostgreSQL, Redis and Elasticsearch servers on free loopback ports, for `make test`. Source this file, then:
#   services_start_postgres; services_start_redis; services_start_elasticsearch; trap services_stop EXIT
# Each server lives in its own temporary folder and is stopped (and the folder removed) by services_stop.

SERVICES_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVICES_DIR=$(mktemp -d /tmp/gachi-services.XXXXXX)
chmod 755 "$SERVICES_DIR"
SERVICES_STOPS=()

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# As root, run a command as an unprivileged system user (PostgreSQL and Elasticsearch refuse root).
as_user() {
    local user=$1; shift
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

services_start_postgres() {
    local bin user port data
    bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
    user=$(id -un); [ "$(id -u)" -eq 0 ] && user=postgres
    port=$(free_port)
    data="$SERVICES_DIR/postgres/data"
    mkdir -p "$data" && chown -R "$user" "$SERVICES_DIR/postgres" && chmod 700 "$data"
    as_user "$user" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$SERVICES_DIR/initdb.log"
    as_user "$user" "$bin/pg_ctl" -D "$data" -l "$SERVICES_DIR/postgres/server.log" -w -t 60 \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    SERVICES_STOPS+=("as_user $user $bin/pg_ctl -D $data -m immediate stop")
    export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/hub"
    echo "services: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

services_start_redis() {
    local port
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --dir "$SERVICES_DIR" --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    SERVICES_STOPS+=("redis-cli -p $port shutdown nosave")
    export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
    echo "services: Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
}

# The node itself (fetch, config, user, health wait) is scripts/elasticsearch.sh, which the pytest fixture also calls.
services_start_elasticsearch() {
    local dir="$SERVICES_DIR/elasticsearch" url
    SERVICES_STOPS+=("$(printf '%q ' "$SERVICES_SCRIPTS/elasticsearch.sh" stop "$dir")")
    url=$("$SERVICES_SCRIPTS/elasticsearch.sh" start "$dir")
    export TEST_ELASTICSEARCH_URL="$url"
    echo "services: Elasticsearch $(cat "$dir/version") on ${url#http://}"
}

services_stop() {
    local stop
    for stop in "${SERVICES_STOPS[@]}"; do eval "$stop" >/dev/null 2>&1 || true; done
    rm -rf "$SERVICES_DIR"
}
