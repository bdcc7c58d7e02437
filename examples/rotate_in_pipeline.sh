#!/bin/sh
# A zero-downtime rotation inside a deploy pipeline, with the keyplane command line:
# rotate with a grace period, check that both secrets work, roll the new secret out,
# revoke the old key, and check that it is refused. docs/cli.md walks through it.
#
#   KEYPLANE_URL       the Keyplane server
#   KEYPLANE_API_KEY   the pipeline's own key: api_keys:read and api_keys:write
#   KEY_ID             the key to rotate; unset, a key is created first (a demonstration)
#   OLD_SECRET_FILE    with KEY_ID: a file holding that key's current secret
#   NEW_SECRET_FILE    where the new secret is written (mode 0600); unset, it is kept only
#                      for the length of this script
#   PIPELINE_RUN       this run's id (CI_PIPELINE_ID, GITHUB_RUN_ID, …): a step run again
#                      in the same run sends the same Idempotency-Key, so Keyplane answers
#                      it with the first answer instead of rotating twice
#
# It stops at the first failing step with keyplane's exit code (3 the pipeline's key refused,
# 4 not found, 5 conflict, 6 rate limited, 7 unavailable, 8 a verified secret not valid; see
# docs/cli.md). Secrets never appear on a
# command line: they go through files only this user can read.
set -eu

: "${KEYPLANE_URL:?set KEYPLANE_URL to the Keyplane server}"
: "${KEYPLANE_API_KEY:?set KEYPLANE_API_KEY to the pipeline key}"
export KEYPLANE_URL KEYPLANE_API_KEY
run=${PIPELINE_RUN:-local-$(date +%s)}

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One field of the JSON on stdin (`.apiKey.id`), with jq when there is one.
field() {
    if command -v jq >/dev/null 2>&1; then
        jq -er "$1"
    else
        python3 -c 'import json, sys
value = json.load(sys.stdin)
for name in sys.argv[1].strip(".").split("."):
    value = value[name]
print(value)' "$1"
    fi
}

say() { printf '%s\n' "$*" >&2; }

# 1. The key to rotate, and its current secret.
if [ -z "${KEY_ID:-}" ]; then
    keyplane keys create --name "pipeline-$run" --scopes customers:read \
        --idempotency-key "$run-create" --output json >"$work/created.json"
    KEY_ID=$(field .apiKey.id <"$work/created.json")
    field .secret <"$work/created.json" >"$work/old-secret"
    say "created key $KEY_ID to rotate"
else
    : "${OLD_SECRET_FILE:?with KEY_ID, set OLD_SECRET_FILE to a file holding its secret}"
    cp "$OLD_SECRET_FILE" "$work/old-secret"
fi

# 2. Rotate with a grace period: stdout carries the new secret and nothing else.
keyplane keys rotate "$KEY_ID" --grace 1h --idempotency-key "$run-rotate-$KEY_ID" \
    >"$work/new-secret"

# 3. Both secrets work during the grace period.
keyplane keys verify --secret-file "$work/new-secret" >&2
keyplane keys verify --secret-file "$work/old-secret" >&2

# 4. Roll the new secret out: here, into NEW_SECRET_FILE; in a real pipeline, into the
#    secret store the services read, then restart or reload them.
#    Written to a temporary file of mode 0600 beside it (umask 077), then renamed over it:
#    a reader never sees it half written, nor readable by others.
if [ -n "${NEW_SECRET_FILE:-}" ]; then
    tmp=$(mktemp "$NEW_SECRET_FILE.XXXXXX")
    cp "$work/new-secret" "$tmp"
    mv -f "$tmp" "$NEW_SECRET_FILE"
fi
say "new secret rolled out"

# 5. Revoke the old key, once nothing uses its secret.
keyplane keys revoke "$KEY_ID" --idempotency-key "$run-revoke-$KEY_ID" >&2

# 6. The old secret is refused now: keys verify exits 8 for a key that is not valid (3 would
#    be the pipeline's own key refused).
status=0
keyplane keys verify --secret-file "$work/old-secret" >&2 || status=$?
if [ "$status" -eq 0 ]; then
    say "the old secret still works after its key was revoked"
    exit 1
elif [ "$status" -ne 8 ]; then
    exit "$status"
fi
say "rotation of $KEY_ID done: the old secret is refused, the new one works"
