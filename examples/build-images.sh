#!/usr/bin/env bash
# Builds the example images offline: each is Debian's static busybox (with its applet links)
# plus the files under examples/images/<name>/, imported with `docker import` — no registry,
# no internet. Usage: examples/build-images.sh [VERSION...]   (default: 1.0 2.0)
# @VERSION@ in the image files is replaced by the version, so a new tag serves a visibly new page.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
busybox="${BUSYBOX:-/bin/busybox}"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.0 2.0)

if ! [ -x "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
  echo "build-images: $busybox is not a static busybox; install it: apt-get install -y busybox-static" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "build-images: no Docker engine answers; start dockerd (or set DOCKER_HOST)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for dir in "$here"/images/*/; do
  name="$(basename "$dir")"
  for version in "${versions[@]}"; do
    root="$work/$name-$version"
    mkdir -p "$root/bin" "$root/tmp"
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
      [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    cp -R "$dir"/. "$root/"
    grep -rl '@VERSION@' "$root" --exclude-dir=bin | xargs -r sed -i "s/@VERSION@/$version/g"
    tar -C "$root" -c . | docker import \
      -c 'ENV PATH=/bin' -c 'WORKDIR /' -c 'CMD ["/bin/sh"]' \
      -m "svc example $name $version" - "svc-examples/$name:$version" >/dev/null
    echo "built svc-examples/$name:$version"
  done
done
