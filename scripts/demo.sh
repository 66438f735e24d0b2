#!/usr/bin/env bash
# The main job on the local platform: start it, apply examples/hello, and show it serving.
set -euo pipefail
cd "$(dirname "$0")/.."

node bin/run.js local up
# With no usable keychain, `svc local up` keeps the token in a 0600 file: use it from there.
file="${SVC_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/svc}/local/tokens/local"
if [ -z "${SVC_TOKEN_LOCAL:-}" ] && [ -f "$file" ]; then SVC_TOKEN_LOCAL="$(cat "$file")"; export SVC_TOKEN_LOCAL; fi
node bin/run.js apply --auto-approve examples/hello
echo "fetching http://127.0.0.1:18080/"
curl -fsS --retry 10 --retry-connrefused --retry-delay 1 http://127.0.0.1:18080/
