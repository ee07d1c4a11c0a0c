#!/usr/bin/env bash
# The fleet benchmark of BENCHMARKS.md ("Fleet assessment on the server"), as one command:
#
#   scripts/fleet-bench.sh [--hosts N] [--bin PATH] [--database URL] [--shared DIR]
#
# 1. starts `caulk server` on loopback with --feeds a copy of the shared mirror (a fresh data
#    directory; SQLite unless --database names an *empty* PostgreSQL database);
# 2. runs `caulk dev simulate --hosts N --concurrency 16 --check-ins 1` against it (its table:
#    enrolment, first inventories, unchanged check-ins, pages; server CPU per phase);
# 3. waits until the last host (pages are assessed in id order) is current, then checks
#    every host once;
# 4. removes the mirror copy's EPSS files (a feed update: a new generation), POST
#    /api/v1/advisories/sync, waits for the new generation and then for the last host again:
#    the re-match, as a client sees it, beside the server's own log line;
# 5. prints the server's peak RSS and stops it.
#
# Release build first: `cargo build --release -p caulk-cli`. Needs curl and python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hosts=2000
bin="$root/target/release/caulk"
database=""
shared="$root/../shared"
while [ $# -gt 0 ]; do
    case "$1" in
        --hosts) hosts=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        --database) database=$2; shift 2 ;;
        --shared) shared=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "fleet-bench: unknown argument $1 (--help)" >&2; exit 2 ;;
    esac
done
case "$hosts" in ''|*[!0-9]*) echo "fleet-bench: --hosts wants a number, got $hosts" >&2; exit 2 ;; esac
[ -x "$bin" ] || { echo "fleet-bench: no caulk binary at $bin (cargo build --release -p caulk-cli)" >&2; exit 2; }
[ -d "$shared/data/feeds" ] || { echo "fleet-bench: no feed mirror at $shared/data/feeds (--shared DIR)" >&2; exit 2; }

work=$(mktemp -d)
spid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/data"
cp -r "$shared/data/feeds" "$work/mirror"
token="caulk_api_0_$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

args=(server --listen 127.0.0.1:0 --data-dir "$work/data" --feeds "$work/mirror")
[ -n "$database" ] && args+=(--database "$database")
CAULK_BOOTSTRAP_ADMIN_TOKEN=$token "$bin" "${args[@]}" >"$work/server.out" 2>"$work/server.err" &
spid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/server.out" 2>/dev/null && break
    sleep 0.1
done
addr=$(sed -n 's#^listening on ##p' "$work/server.out" | head -1)
[ -n "$addr" ] || { echo "fleet-bench: the server did not start:" >&2; cat "$work/server.err" >&2; exit 1; }
# A loop's wait, with the server still alive (else its log, and out).
alive() {
    kill -0 "$spid" 2>/dev/null && return 0
    echo "fleet-bench: the server stopped:" >&2
    tail -20 "$work/server.err" >&2
    exit 1
}
until curl -sf "$addr/healthz" >/dev/null; do alive; sleep 0.2; done
generation() { curl -sf "$addr/healthz" | python3 -c "import json,sys; print(json.load(sys.stdin)['advisories']['generation'])"; }
auth=(-H "Authorization: Bearer $token")

# The last host assessed with generation $1 (and not stale)?
last_current() {
    curl -sf "${auth[@]}" "$addr/api/v1/hosts/$last" | python3 -c "
import json, sys
f = json.load(sys.stdin).get('findings')
print(1 if f and not f['stale'] and f['generation'] == sys.argv[1] else 0)" "$1"
}
# How many hosts are assessed with generation $1.
count_current() {
    local cursor="" n=0 page
    while :; do
        page=$(curl -sf "${auth[@]}" "$addr/api/v1/hosts?limit=1000${cursor:+&cursor=$cursor}")
        n=$((n + $(echo "$page" | python3 -c "
import json, sys
d = json.load(sys.stdin)
print(sum(1 for h in d['hosts'] if h['findings'] and not h['findings']['stale'] and h['findings']['generation'] == sys.argv[1]))" "$1")))
        cursor=$(echo "$page" | python3 -c "import json,sys; print(json.load(sys.stdin)['next'] or '')")
        [ -z "$cursor" ] && break
    done
    echo "$n"
}

# The hosts' ids: the waits watch the last one (pages are assessed in id order), so the
# fleet must start empty and its ids be the simulator's N, in a row.
# (A database with users already ignores the bootstrap token: the listing is refused.)
listing=$(curl -sf "${auth[@]}" "$addr/api/v1/hosts?limit=1") \
    || { echo "fleet-bench: the server refused the bootstrap token: the database is not empty; give an empty one" >&2; exit 2; }
before=$(echo "$listing" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['hosts']))")
[ "$before" = 0 ] || { echo "fleet-bench: the database already has hosts: give an empty one" >&2; exit 2; }
g1=$(generation)
echo "fleet-bench: $hosts hosts against $addr (${database:+PostgreSQL}${database:-SQLite}), $bin"
t0=$(now)
CAULK_API_TOKEN=$token "$bin" dev simulate --server "$addr" --hosts "$hosts" --concurrency 16 \
    --check-ins 1 --data "$shared/data" --server-pid "$spid"
t1=$(now)
first=$(curl -sf "${auth[@]}" "$addr/api/v1/hosts?limit=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['hosts'][0]['id'])")
last=$((first + hosts - 1))
curl -sf -o /dev/null "${auth[@]}" "$addr/api/v1/hosts/$last" \
    || { echo "fleet-bench: no host $last: the ids are not $first..$last in a row" >&2; exit 1; }
until [ "$(last_current "$g1")" = 1 ]; do alive; sleep 0.2; done
echo "every host assessed $(since "$t1") s after the simulator ended ($(since "$t0") s in all); current: $(count_current "$g1") of $hosts"

rm -f "$work"/mirror/epss/*
t2=$(now)
curl -sf -X POST "${auth[@]}" "$addr/api/v1/advisories/sync" >/dev/null
while [ "$(generation)" = "$g1" ]; do alive; sleep 0.2; done
g2=$(generation)
t3=$(now)
until [ "$(last_current "$g2")" = 1 ]; do alive; sleep 0.2; done
echo "feed update: new generation in $(python3 -c "print(f'{$t3 - $t2:.2f}')") s; re-match of $hosts hosts (the last one current) $(since "$t3") s; current: $(count_current "$g2") of $hosts"
grep -E "assessed $hosts host\(s\) with advisory generation $g2" "$work/server.err" | tail -1 || true
awk '/VmHWM/ {print "server peak RSS: " $2 " " $3}' "/proc/$spid/status"
