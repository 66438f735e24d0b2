#!/usr/bin/env bash
# The install steps of action.yml (the repository's root): svc from the action's own checkout, or
# from a release tarball (SVC_PACKAGE: svc-X.Y.Z.tgz, a URL or a path), into a prefix of its own.
#
#   install.sh where     the prefix and the cache key: runner OS, Node version, and a hash of the
#                        source (or of SVC_PACKAGE) — outputs `prefix` and `key`
#   install.sh install   unless the prefix holds svc already (a cache hit): npm ci without install
#                        scripts in a copy of the source, npm pack (which builds), then a global
#                        install of that tarball into SVC_PREFIX without install scripts (plan,
#                        apply and validate need none; `svc local up` does, and is not for CI).
#                        Then svc's bin goes on GITHUB_PATH and SVC_CI (the workflows' glue) into
#                        GITHUB_ENV; output `version`.
#
# Needs the npm registry and nothing else on the network.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out() { echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"; echo "$1=$2"; }

case "${1:-}" in
  where)
    if [ -n "${SVC_PACKAGE:-}" ]; then
      source_hash="$(printf '%s' "$SVC_PACKAGE" | sha256sum | cut -c1-16)"
    else
      # Every file the build reads; the checkout has no .git to name a commit by.
      source_hash="$(cd "$here" && find bin schemas scripts src package.json package-lock.json tsconfig.json tsconfig.build.json \
        -type f ! -name "*.test.ts" ! -name "*.gen.ts" -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
    fi
    node_version="$(node --version)"
    out prefix "${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/svc/$source_hash-$node_version"
    out key "svc-${RUNNER_OS:-$(uname -s)}-$(uname -m)-node$node_version-$source_hash"
    ;;
  install)
    prefix="${SVC_PREFIX:?run install.sh where first: SVC_PREFIX is its prefix output}"
    quiet=(--no-audit --no-fund --loglevel=error)
    if [ -x "$prefix/bin/svc" ]; then
      echo "svc is cached in $prefix"
    else
      work="$(mktemp -d)"
      package="${SVC_PACKAGE:-}"
      if [ -z "$package" ]; then
        echo "::group::Build svc from $here"
        mkdir "$work/source"
        (cd "$here" && tar --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$work/source"
        (cd "$work/source" && npm ci --ignore-scripts --prefer-offline "${quiet[@]}" && npm pack --silent --pack-destination "$work" >/dev/null)
        package="$(ls "$work"/svc-*.tgz)"
        echo "::endgroup::"
      fi
      npm install --global --prefix "$prefix" --ignore-scripts --prefer-offline "${quiet[@]}" "$package"
      rm -rf "$work"
    fi
    echo "$prefix/bin" >> "${GITHUB_PATH:-/dev/null}"
    echo "SVC_CI=$here/examples/ci/scripts" >> "${GITHUB_ENV:-/dev/null}"
    out version "$("$prefix/bin/svc" --version)"
    ;;
  *)
    echo "usage: install.sh where|install (the steps of action.yml)" >&2
    exit 2
    ;;
esac
