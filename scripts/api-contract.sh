#!/usr/bin/env bash
# Checks the served OpenAPI document by hand: openapi-spec-validator on the
# document, then schemathesis against a running pmcoach whose model is
# scripts/fake_upstream.py. Needs Python with `pip install
# openapi-spec-validator schemathesis`; not part of `cargo test`.
# With KEYED=1 the server has an admin key (all customers) and schemathesis
# sends it, so the authentication checks run too.
# Usage: [KEYED=1] scripts/api-contract.sh [extra schemathesis arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/fake_upstream.py > "$work/port" &
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
cargo build -q
auth=()
: > "$work/pmcoach.toml"
if [ "${KEYED:-}" = 1 ]; then
  target/debug/pmcoach keys new --customers '*' --admin --name contract > "$work/key"
  sed -n '/^\[\[auth.keys\]\]/,$p' "$work/key" > "$work/pmcoach.toml"
  auth=(-H "Authorization: Bearer $(head -1 "$work/key")")
fi
OPENAI_BASE_URL="http://127.0.0.1:$(cat "$work/port")/v1" PMCOACH_MODEL=fake OPENAI_API_KEY=unused \
  PMCOACH_WORKSPACE="$work/workspace" PMCOACH_LISTEN=127.0.0.1:18089 \
  target/debug/pmcoach serve --config "$work/pmcoach.toml" > "$work/server.log" 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:18089/healthz > /dev/null && break; sleep 0.1; done
curl -sf http://127.0.0.1:18089/openapi.json > "$work/openapi.json"
python3 -m openapi_spec_validator "$work/openapi.json"
st run http://127.0.0.1:18089/openapi.json --checks all "${auth[@]}" "$@"
