#!/usr/bin/env bash
# HTTP benchmarks: one command that builds, starts a server on a fresh SQLite file, and loads
# its endpoints with wrk on 127.0.0.1, server and load generator pinned to separate cores. The
# rate-limit rows also start a second server on the same file with --redis-url (Redis at
# REDIS_URL, by default the machine's), so in-process, exact and leased limits share one run.
# Rounds are interleaved (each round runs every endpoint once), so machine noise spreads over
# all of them; the table shows medians, ranges, and ratios to the baselines of the same run.
#
#   bench/run.sh                  # 3 rounds of 10 s each per endpoint
#   ROUNDS=5 SECONDS_PER_RUN=10 CONNECTIONS=64 bench/run.sh
#   PARSE_CACHE=0 ONLY="graphql_typename graphql_verify" bench/run.sh   # without the parse cache
#   KEYPLANE_BIN=/tmp/keyplane-before bench/run.sh                     # a binary built elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
PORT="${PORT:-18780}"
PARSE_CACHE="${PARSE_CACHE:-1000}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
# KEYPLANE_BIN benchmarks a binary built elsewhere (a before/after pair from one machine).
if [ -n "${KEYPLANE_BIN:-}" ]; then
  bin="$KEYPLANE_BIN"
else
  cargo build --release --quiet --bin keyplane
  bin="${CARGO_TARGET_DIR:-target}/release/keyplane"
fi

work=$(mktemp -d)
redis_server=""
trap 'kill "$server" $redis_server 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL="sqlite://$work/bench.db" KEYPLANE_DATA_KEY_FILE="$work/key" RUST_LOG=warn
"$bin" init --output json > "$work/keys.json"
KEY=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['environments'][0]['fullAccessKey'])" "$work/keys.json")
# The server gets core 0, wrk core 1. Flushes are far apart so the run measures requests.
taskset -c 0 "$bin" serve --listen "127.0.0.1:$PORT" --parse-cache-capacity "$PARSE_CACHE" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

gql() { curl -fs "127.0.0.1:$PORT/graphql" -H 'Content-Type: application/json' -H "X-API-Key: $KEY" -d "$1"; }
# A scoped key to verify, and 20 more so the key list has a full page.
TARGET=$(gql '{"query":"mutation { createApiKey(input: {name: \"bench\", preset: READ_ONLY}) { secret } }"}' \
  | python3 -c "import json,sys;print(json.load(sys.stdin)['data']['createApiKey']['secret'])")
# A key with both policies that sit on the verification path: a 20-range IP allow-list (the
# verified address matches the last range) and about 1 KB of metadata.
POLICIES=$(python3 -c '
import json
ranges = [f"198.51.{i}.0/24" for i in range(10)] + [f"2001:db8:{i:x}::/48" for i in range(9)] + ["203.0.113.0/24"]
metadata = {"tenant": "acme", "plan": "enterprise", "notes": "x" * 900}
print(json.dumps({"query": "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
  "variables": {"i": {"name": "policies", "preset": "READ_ONLY", "allowedIps": ranges, "metadata": metadata, "externalId": "tenant_acme"}}}))')
POLICY_TARGET=$(gql "$POLICIES" | python3 -c "import json,sys;print(json.load(sys.stdin)['data']['createApiKey']['secret'])")
# Keys with a rate limit too high to bind (1,000,000 a second), so the rows measure deciding it.
limited() { gql "{\"query\":\"mutation { createApiKey(input: {name: \\\"$1\\\", preset: READ_ONLY, rateLimit: {requests: 1000000, periodSeconds: 1, mode: $1}}) { secret } }\"}" \
  | python3 -c "import json,sys;print(json.load(sys.stdin)['data']['createApiKey']['secret'])"; }
LIMITED_EXACT=$(limited EXACT)
LIMITED_LEASED=$(limited LEASED)
# A key with a quota too large to run out (2e9 a month): a lease of 1,000 units per claim.
QUOTA_TARGET=$(gql '{"query":"mutation { createApiKey(input: {name: \"quota\", preset: READ_ONLY, quota: {limit: 2000000000, refill: MONTHLY}}) { secret } }"}' \
  | python3 -c "import json,sys;print(json.load(sys.stdin)['data']['createApiKey']['secret'])")
for i in $(seq 20); do gql "{\"query\":\"mutation { createApiKey(input: {name: \\\"k$i\\\", preset: READ_ONLY}) { secret } }\"}" >/dev/null; done

declare -A BODIES=(
  [bare_json]=""
  [graphql_typename]='{"query":"{ __typename }"}'
  [v1_verify]="{\"key\":\"$TARGET\",\"permission\":\"customers:read\"}"
  [v1_verify_policies]="{\"key\":\"$POLICY_TARGET\",\"permission\":\"customers:read\",\"ip\":\"203.0.113.9\"}"
  [v1_verify_quota]="{\"key\":\"$QUOTA_TARGET\",\"permission\":\"customers:read\"}"
  [v1_verify_limited]="{\"key\":\"$LIMITED_EXACT\",\"permission\":\"customers:read\"}"
  [v1_verify_redis_exact]="{\"key\":\"$LIMITED_EXACT\",\"permission\":\"customers:read\"}"
  [v1_verify_redis_leased]="{\"key\":\"$LIMITED_LEASED\",\"permission\":\"customers:read\"}"
  [graphql_verify]="{\"query\":\"query(\$k: String!) { verifyApiKey(input: {key: \$k, permission: \\\"customers:read\\\"}) { valid code } }\",\"variables\":{\"k\":\"$TARGET\"}}"
  [graphql_api_keys]='{"query":"{ apiKeys(first: 20) { edges { node { id name status scopes } } } }"}'
)
read -r -a ORDER <<< "${ONLY:-bare_json graphql_typename v1_verify v1_verify_policies v1_verify_quota v1_verify_limited v1_verify_redis_exact v1_verify_redis_leased graphql_verify graphql_api_keys rest_api_keys}"
url_of() { case "$1" in bare_json) echo "/healthz";; v1_verify*) echo "/v1/verify";; rest_api_keys) echo "/api/v1/api-keys?limit=20";; *) echo "/graphql";; esac; }
# The Redis rows go to the second server, on the next port.
port_of() { case "$1" in *_redis_*) echo $((PORT + 1));; *) echo "$PORT";; esac; }
if [[ " ${ORDER[*]} " == *_redis_* ]]; then
  REDIS_URL="$REDIS_URL" taskset -c 0 "$bin" serve --listen "127.0.0.1:$((PORT + 1))" --parse-cache-capacity "$PARSE_CACHE" >/dev/null 2>&1 &
  redis_server=$!
  for _ in $(seq 50); do curl -fs "127.0.0.1:$((PORT + 1))/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs "127.0.0.1:$((PORT + 1))/readyz" | grep -q '"redis":"ok"' || { echo "Redis at $REDIS_URL does not answer" >&2; exit 1; }
fi
pid_of() { case "$1" in *_redis_*) echo "$redis_server";; *) echo "$server";; esac; }

results="$work/results"
for round in $(seq "$ROUNDS"); do
  for name in "${ORDER[@]}"; do
    pid=$(pid_of "$name")
    cpu_before=$(awk '{print $14+$15}' "/proc/$pid/stat")
    if [ "$name" = bare_json ]; then
      out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s bench/get.lua "http://127.0.0.1:$(port_of "$name")$(url_of "$name")")
    elif [ "$name" = rest_api_keys ]; then
      out=$(KEY="$KEY" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s bench/get.lua "http://127.0.0.1:$(port_of "$name")$(url_of "$name")")
    else
      out=$(BODY="${BODIES[$name]}" KEY="$KEY" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s bench/post.lua "http://127.0.0.1:$(port_of "$name")$(url_of "$name")")
    fi
    cpu_after=$(awk '{print $14+$15}' "/proc/$pid/stat")
    echo "$name $round $(echo "$out" | awk '/^RESULT/ {print $2, $3, $4, $5}') $((cpu_after - cpu_before))" >> "$results"
  done
done

python3 - "$results" "$(getconf CLK_TCK)" "$SECONDS_PER_RUN" <<'PY'
import statistics, sys
rows = {}
ticks = int(sys.argv[2])
seconds = float(sys.argv[3])
for line in open(sys.argv[1]):
    name, _round, rps, p50, p99, errors, cpu = line.split()
    rows.setdefault(name, []).append((float(rps), int(p50), int(p99), int(errors), int(cpu)))
def med(xs): return statistics.median(xs)
base = {n: med([r[0] for r in rows[n]]) for n in rows}
print(f"| endpoint | req/s median (min–max) | ratio | p50 µs | p99 µs | server CPU µs/req | non-2xx |")
print(f"|---|---|---|---|---|---|---|")
ratio_to = {"bare_json": "bare_json", "graphql_typename": "bare_json", "v1_verify": "bare_json",
            "v1_verify_policies": "v1_verify", "v1_verify_limited": "v1_verify",
            "v1_verify_quota": "v1_verify",
            "v1_verify_redis_exact": "v1_verify_limited", "v1_verify_redis_leased": "v1_verify_limited",
            "graphql_verify": "graphql_typename", "graphql_api_keys": "graphql_typename",
            "rest_api_keys": "graphql_api_keys"}
order = ["bare_json", "graphql_typename", "v1_verify", "v1_verify_policies", "v1_verify_quota", "v1_verify_limited",
         "v1_verify_redis_exact", "v1_verify_redis_leased", "graphql_verify", "graphql_api_keys", "rest_api_keys"]
for name in [n for n in order if n in rows]:
    rs = rows[name]
    rps = [r[0] for r in rs]
    # Server CPU seconds in the run, per request served in it, in microseconds.
    cpu_per_req = med([(r[4] / ticks) * 1e6 / (r[0] * seconds) for r in rs])
    ref = ratio_to[name] if ratio_to[name] in base else name
    print(f"| {name} | {med(rps):,.0f} ({min(rps):,.0f}–{max(rps):,.0f}) | {med(rps)/base[ref]:.2f}× {ref} | "
          f"{med([r[1] for r in rs]):.0f} | {med([r[2] for r in rs]):.0f} | {cpu_per_req:.1f} | {sum(r[3] for r in rs)} |")
PY
