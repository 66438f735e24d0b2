#!/usr/bin/env bash
# The plan step of plan.yml: the Markdown plan (a pull-request comment) to plan.md, the saved plan
# to plan.json, and svc's exit code (0 no changes, 2 changes, 1 or 3 problems) as the step output
# `exitcode`. It never fails itself: the comment is posted first, then the job fails on problems.
set -uo pipefail
svc plan "${SVC_DIR:-.}" --format markdown --detailed-exitcode --out plan.json > plan.md
code=$?
echo "exitcode=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
echo "svc plan exited $code"
