#!/usr/bin/env bash
# Regenerates package-lock.json with every platform's optional packages recorded, so `npm ci`
# works on any OS. `npm install <pkg>` with node_modules present drops other platforms' entries
# (npm/cli#4828), so after adding or changing a dependency, run this and commit the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
aside="$(mktemp -d)"
[ -d node_modules ] && mv node_modules "$aside/"
trap '[ -d "$aside/node_modules" ] && mv "$aside/node_modules" .; rmdir "$aside"' EXIT
rm -f package-lock.json
npm install --package-lock-only --no-audit --no-fund
