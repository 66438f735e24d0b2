#!/usr/bin/env bash
# The main job on the local platform: start it, apply examples/hello, and show it serving.
set -euo pipefail
cd "$(dirname "$0")/.."

node bin/run.js local up
node bin/run.js apply --auto-approve examples/hello
echo "fetching http://127.0.0.1:18080/"
curl -fsS --retry 10 --retry-connrefused --retry-delay 1 http://127.0.0.1:18080/
