#!/usr/bin/env bash
# schemathesis in OpenAPI mode against a real server: the debug binary on a fresh SQLite file,
# acting as the first owner (a session: key operations cannot revoke it mid-run). Every check
# but positive_data_acceptance, which would count as a failure each refusal of a business rule no
# JSON Schema states (an expiry at most a year out, a scope the caller holds, a name that is not
# blank). Bounded by a fixed example count and a time budget.
set -euo pipefail
bin="${1:?usage: .ci/schemathesis.sh path/to/keyplane}"
work="$(mktemp -d)"
port="${SCHEMATHESIS_PORT:-18181}"
base="http://127.0.0.1:$port"
"$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$work/keyplane.db?mode=rwc" \
  --data-key-file "$work/keyplane.key" --bootstrap-secrets-file "$work/secrets.txt" \
  >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
token="$(grep -o 'setup#kpl_[0-9a-f]*' "$work/secrets.txt" | head -1 | cut -d'#' -f2)"
session="$(curl -fsS "$base/graphql" -H 'Content-Type: application/json' -d "{\"query\":\"mutation(\$i: AcceptInvitationInput!) { acceptInvitation(input: \$i) { sessionToken } }\",\"variables\":{\"i\":{\"token\":\"$token\",\"email\":\"owner@example.com\",\"displayName\":\"CI Owner\",\"password\":\"correct horse battery staple\"}}}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["acceptInvitation"]["sessionToken"])')"
schemathesis run openapi.json --url "$base" \
  -H "Authorization: Bearer $session" -H "Keyplane-Environment: production" \
  --generation-with-security-parameters false \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --max-time 60 --seed 20261207 \
  --suppress-health-check all
