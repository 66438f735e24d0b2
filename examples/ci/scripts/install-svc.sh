#!/usr/bin/env bash
# Installs svc in a workflow from the pinned release tarball SVC_PACKAGE names (the URL or path
# of svc-X.Y.Z.tgz, made by `npm pack`; set in the workflow's env), without running install
# scripts: plan, apply and validate need none of them.
set -euo pipefail
if [ -z "${SVC_PACKAGE:-}" ]; then
  echo "::error title=svc not configured::Set SVC_PACKAGE in the workflow's env to the URL of a pinned svc release tarball (svc-X.Y.Z.tgz, made by npm pack)." >&2
  exit 1
fi
npm install --global --ignore-scripts --no-audit --no-fund "$SVC_PACKAGE"
svc --version
