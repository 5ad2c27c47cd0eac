#!/usr/bin/env bash
# Several app replicas behind nginx, on loopback, as the current user.
#
#   deploy/run_replicas.sh [REPLICAS=2] [NGINX_PORT=8080] [FIRST_PORT=8601]
#
# Starts REPLICAS x `streamlit run app.py` on 127.0.0.1:FIRST_PORT, FIRST_PORT+1, ...
# and nginx (deploy/nginx.conf) on 127.0.0.1:NGINX_PORT, everything under a temporary
# prefix (configs, logs, pid files, a shared JAX compilation cache). It prints the URLs
# and waits; Ctrl-C or SIGTERM to this script stops every process it started and removes
# the prefix (KEEP=1 keeps it, e.g. to read the logs). STREAMLIT_ARGS adds options to
# every replica, e.g. STREAMLIT_ARGS="--runner.postScriptGC false"; JAX_CACHE a compilation
# cache folder the replicas share (default: a new one under the prefix; the replicas are
# made ready one at a time, so they never write one program at once). Then, in another
# shell:
#
#   python bench/load.py --scenario same-link --url http://127.0.0.1:8080 \
#       --replica http://127.0.0.1:8601 --replica http://127.0.0.1:8602
set -euo pipefail

REPLICAS=${1:-2}
NGINX_PORT=${2:-8080}
FIRST_PORT=${3:-8601}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PYTHON=${PYTHON:-python}
[ -x "$NGINX" ] || { echo "nginx not found (apt-get install -y nginx-light)" >&2; exit 2; }

PREFIX=$(mktemp -d -t optplay-deploy-XXXXXX)
JAX_CACHE=${JAX_CACHE:-$PREFIX/jax}
mkdir -p "$PREFIX/tmp" "$JAX_CACHE"
PIDS=()

cleanup() {
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $PREFIX"; else rm -rf "$PREFIX"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

healthy() {  # healthy URL TIMEOUT [PATH]: poll PATH (default /_stcore/health) until "ok"
    "$PYTHON" - "$1" "$2" "${3:-/_stcore/health}" <<'PY'
import sys, time, urllib.request
url, deadline = sys.argv[1] + sys.argv[3], time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        if urllib.request.urlopen(url, timeout=max(1.0, deadline - time.time())).read().strip() == b"ok":
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.3)
sys.exit(1)
PY
}

UPSTREAMS=""
for ((i = 0; i < REPLICAS; i++)); do
    port=$((FIRST_PORT + i))
    # Same cookie secret on every replica (XSRF cookies stay valid across them).
    OPTPLAY_JAX_CACHE="$JAX_CACHE" STREAMLIT_SERVER_COOKIE_SECRET="${COOKIE_SECRET:-$(basename "$PREFIX")}" \
        "$PYTHON" -m streamlit run "$ROOT/app.py" --server.headless true \
        --server.address 127.0.0.1 --server.port "$port" ${STREAMLIT_ARGS:-} \
        >"$PREFIX/replica-$port.log" 2>&1 </dev/null &
    PIDS+=($!)
    UPSTREAMS+="        server 127.0.0.1:$port;\n"
done
for ((i = 0; i < REPLICAS; i++)); do
    port=$((FIRST_PORT + i))
    healthy "http://127.0.0.1:$port" 90 || { echo "replica :$port did not start" >&2;
        tail -20 "$PREFIX/replica-$port.log" >&2; exit 1; }
done
# Readiness, one replica after the other: the script health check runs the page once
# (its imports, the default scene's programs), so no student's first view pays for
# them, and one replica at a time writes the shared compile cache.
for ((i = 0; i < REPLICAS; i++)); do
    port=$((FIRST_PORT + i))
    healthy "http://127.0.0.1:$port" 120 /_stcore/script-health-check || {
        echo "replica :$port does not run the page" >&2;
        tail -20 "$PREFIX/replica-$port.log" >&2; exit 1; }
done

# The config, with this run's listen port and replicas.
sed -e "s/listen 127.0.0.1:[0-9]*;/listen 127.0.0.1:$NGINX_PORT;/" \
    -e "/# replicas:begin/,/# replicas:end/{/server /d}" \
    -e "s/# replicas:begin/# replicas:begin\n${UPSTREAMS%\\n}/" \
    "$ROOT/deploy/nginx.conf" >"$PREFIX/nginx.conf"
GLOBAL="daemon off;"
# Started as root, nginx's workers would switch to another user, who cannot write the
# private prefix: keep them as the current user.
[ "$(id -u)" = 0 ] && GLOBAL+=" user $(id -un) $(id -gn);"
"$NGINX" -t -q -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -g "$GLOBAL"
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -g "$GLOBAL" &
PIDS+=($!)
healthy "http://127.0.0.1:$NGINX_PORT" 20 || { echo "nginx did not start" >&2;
    cat "$PREFIX/error.log" >&2; exit 1; }

echo "nginx    http://127.0.0.1:$NGINX_PORT  (pid ${PIDS[-1]})"
for ((i = 0; i < REPLICAS; i++)); do
    echo "replica  http://127.0.0.1:$((FIRST_PORT + i))  (pid ${PIDS[$i]})"
done
echo "prefix   $PREFIX"
echo "ready"
wait
