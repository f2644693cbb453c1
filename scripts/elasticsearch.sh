#!/usr/bin/env bash
# A throw-away Elasticsearch 8.x node (the core server from Maven Central) for the tests.
#   scripts/elasticsearch.sh fetch          download and unpack the newest 8.x release (cached); print its folder
#   scripts/elasticsearch.sh start <dir>    start a node whose config, data and logs live in <dir>; print its URL
#   scripts/elasticsearch.sh stop <dir>     stop that node
#   scripts/elasticsearch.sh resume <dir>   start a stopped node again with its config and data (same port)
# `make test` calls it through services_start_elasticsearch (scripts/services.sh); a bare `pytest` through the
# `elasticsearch_url` fixture (tests/conftest.py). The distribution is org.elasticsearch.distribution.integ-test-zip:
# the server with only the modules apm, transport-netty4, x-pack-core and x-pack-security (so no analysis-common,
# painless, percolator, reindex, mapper-extras or rest-root; see tests/search/test_node.py) and no bundled JDK — the
# machine's Java (17 or later) runs it. As root the node runs as the system user gachi-es (Elasticsearch refuses root).
set -euo pipefail

ARTIFACT=org.elasticsearch.distribution.integ-test-zip:elasticsearch
METADATA=https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch/maven-metadata.xml
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/gachi-hub/elasticsearch
NODE_USER=gachi-es
STARTUP_TIMEOUT=120

log() { echo "elasticsearch: $*" >&2; }
fail() { log "$*"; exit 1; }

# The newest 8.x release on Maven Central (pre-releases such as 8.0.0-rc1 ignored); the newest cached one when offline.
newest_version() {
    local versions
    if versions=$(curl -fsS --max-time 20 "$METADATA" 2>/dev/null); then
        versions=$(sed -n 's:.*<version>\(8\.[0-9]*\.[0-9]*\)</version>.*:\1:p' <<<"$versions" | sort -V | tail -1)
        [ -n "$versions" ] && { echo "$versions"; return; }
    fi
    versions=$(find "$CACHE" -mindepth 2 -maxdepth 2 -name 'elasticsearch-8.*' ! -name '*.partial' -type d 2>/dev/null \
        | sed 's:.*/elasticsearch-::' | sort -V | tail -1)
    [ -n "$versions" ] || fail "cannot read $METADATA and nothing is cached in $CACHE"
    log "Maven Central unreachable; using cached $versions"
    echo "$versions"
}

fetch() {
    local version folder home
    command -v java >/dev/null || fail "java not found on PATH (Elasticsearch 8 needs Java 17 or later)"
    version=$(newest_version)
    folder="$CACHE/$version"
    home="$folder/elasticsearch-$version"
    if [ ! -x "$home/bin/elasticsearch" ]; then
        command -v mvn >/dev/null || fail "mvn not found on PATH (it downloads Elasticsearch from Maven Central)"
        mkdir -p "$folder"
        if [ ! -s "$folder/elasticsearch-$version.zip" ]; then
            log "downloading $ARTIFACT:$version:zip from Maven Central"
            mvn -q -B "$DEPENDENCY_PLUGIN:copy" -Dartifact="$ARTIFACT:$version:zip" -DoutputDirectory="$folder" \
                >"$folder/mvn.log" 2>&1 || { cat "$folder/mvn.log" >&2; fail "mvn could not download $version"; }
            rm -f "$folder/mvn.log"
        fi
        rm -rf "$home.partial" && mkdir "$home.partial"
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
            "$folder/elasticsearch-$version.zip" "$home.partial"
        chmod +x "$home.partial/elasticsearch-$version"/bin/* "$home.partial/elasticsearch-$version"/modules/*/platform/*/bin/* 2>/dev/null || true
        mv "$home.partial/elasticsearch-$version" "$home" && rmdir "$home.partial"
    fi
    echo "$home"
}

# As root, run a command as the unprivileged node user.
as_node_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$NODE_USER" -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local dir=${1:?usage: elasticsearch.sh start <dir>} home java_home port transport
    home=$(fetch)
    java_home=${ES_JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    rm -rf "$dir/home" "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
    if [ "$(id -u)" -eq 0 ]; then
        id "$NODE_USER" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$NODE_USER"
        # The cache under root's home is not readable by the node user: link (or copy) the distribution into <dir>.
        if ! runuser -u "$NODE_USER" -- test -r "$home/lib"; then
            cp -al "$home" "$dir/home" 2>/dev/null || cp -a "$home" "$dir/home"
            home="$dir/home"
        fi
    fi
    cp -r "$home/config" "$dir/config"
    mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
    port=$(free_port)
    transport=$(free_port)
    cat >>"$dir/config/elasticsearch.yml" <<EOF

# gachi-hub test node
cluster.name: gachi-hub-test
node.name: test
discovery.type: single-node
network.host: 127.0.0.1
http.port: $port
transport.port: $transport
path.data: $dir/data
path.logs: $dir/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
xpack.security.enabled: false
EOF
    chmod 755 "$dir"
    # Not the linked distribution: its files are the cache's own.
    [ "$(id -u)" -ne 0 ] || chown -R "$NODE_USER" "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"

    echo "$home" >"$dir/home-path"
    launch "$dir" "$home" "$java_home"
}

# Start the node configured in <dir> and wait until it is healthy; print its URL.
launch() {
    local dir=$1 home=$2 java_home=$3 version port url deadline health
    # The distribution may be linked into <dir>/home, so its folder name does not say the version; the server jar does.
    version=$(ls "$home/lib" | sed -n 's/^elasticsearch-\([0-9][0-9.]*\)\.jar$/\1/p' | head -1)
    port=$(sed -n 's/^http.port: //p' "$dir/config/elasticsearch.yml")
    log "starting Elasticsearch $version on 127.0.0.1:$port (Java $("$java_home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p'))"
    # From logs/: jvm.options writes gc.log, heap dumps and hs_err files to the working folder.
    (cd "$dir/logs" && as_node_user env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$dir/config" ES_TMPDIR="$dir/tmp" \
        ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms512m -Xmx512m}" \
        "$home/bin/elasticsearch" -d -p "$dir/logs/node.pid" >"$dir/startup.log" 2>&1) \
        || { tail -n 40 "$dir/startup.log" "$dir"/logs/*.log 2>/dev/null >&2; fail "the node did not start"; }

    url="http://127.0.0.1:$port"
    deadline=$((SECONDS + STARTUP_TIMEOUT))
    until health=$(curl -fsS "$url/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null) \
        && grep -Eq '"status":"(yellow|green)"' <<<"$health"; do
        if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$dir/logs/node.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
            tail -n 40 "$dir/startup.log" "$dir"/logs/*.log 2>/dev/null >&2 || true
            stop "$dir"
            fail "no healthy node at $url after $STARTUP_TIMEOUT s"
        fi
        sleep 0.5
    done
    echo "$url" >"$dir/url"
    echo "$version" >"$dir/version"
    echo "$url"
}

# Start a node stopped with `stop` again, keeping its data: what a restart after an outage looks like.
resume() {
    local dir=${1:?usage: elasticsearch.sh resume <dir>} java_home
    [ -f "$dir/home-path" ] || fail "no node was started in $dir"
    java_home=${ES_JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
    launch "$dir" "$(cat "$dir/home-path")" "$java_home"
}

stop() {
    local dir=${1:?usage: elasticsearch.sh stop <dir>} pid
    pid=$(cat "$dir/logs/node.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/logs/node.pid"
}

case "${1:-}" in
    fetch) fetch ;;
    start) start "${2:-}" ;;
    resume) resume "${2:-}" ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 fetch | start <dir> | stop <dir> | resume <dir>" >&2; exit 2 ;;
esac
