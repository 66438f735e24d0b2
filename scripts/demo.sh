#!/usr/bin/env bash
# The main job on the local platform: start it, deploy examples/hello, and show it serving.
set -euo pipefail
cd "$(dirname "$0")/.."

node bin/run.js validate examples/hello
node bin/run.js local up
# With no usable keychain, `svc local up` keeps the token in a 0600 file: use it from there.
file="${SVC_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/svc}/local/tokens/local"
if [ -z "${SVC_TOKEN_LOCAL:-}" ] && [ -f "$file" ]; then SVC_TOKEN_LOCAL="$(cat "$file")"; export SVC_TOKEN_LOCAL; fi
node scripts/demo-deploy.mjs
echo "fetching http://127.0.0.1:18080/"
for _ in $(seq 1 30); do curl -fsS http://127.0.0.1:18080/ && exit 0; sleep 1; done
echo "hello did not answer on http://127.0.0.1:18080/" >&2
exit 1
