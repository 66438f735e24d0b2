#!/usr/bin/env bash
# The apply step of apply.yml: `svc apply --expect-digest "$DIGEST" --atomic`, with
# --allow-destructive only when ALLOW_DESTRUCTIVE is true (a run by hand), the outcome's summary
# in apply.json (--report: what deployments.mjs records) and svc's exit code as the step output
# `exitcode`, then that code: 0 applied, 4 the plan moved since the review, 7 restored, 1 or 5 or
# 6 failed (README "Exit codes").
set -uo pipefail
: "${DIGEST:?set DIGEST to the digest of the reviewed plan (sha256:...)}"
flags=(--expect-digest "$DIGEST" --atomic --report apply.json)
if [ "${ALLOW_DESTRUCTIVE:-false}" = "true" ]; then flags+=(--allow-destructive); fi
rm -f apply.json
svc apply "${SVC_DIR:-.}" "${flags[@]}"
code=$?
echo "exitcode=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
exit "$code"
