#!/usr/bin/env bash
# Puts this checkout's `svc` on the PATH with `npm link` (a link, so a rebuild is picked up):
# into npm's global prefix when it is writable (root, or a user-owned prefix), else ~/.local.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="$(npm prefix -g 2>/dev/null)"
if [ -w "$prefix/bin" ] || { [ ! -e "$prefix/bin" ] && [ -w "$prefix" ]; }; then
  npm link --silent --no-audit --no-fund >/dev/null
  bin="$prefix/bin"
else
  NPM_CONFIG_PREFIX="$HOME/.local" npm link --silent --no-audit --no-fund >/dev/null
  bin="$HOME/.local/bin"
fi
echo "svc is installed as $bin/svc (linked to this checkout)"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "add it to your PATH: export PATH=\"$bin:\$PATH\"   (e.g. in ~/.profile)" ;;
esac
