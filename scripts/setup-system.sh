#!/usr/bin/env bash
# Installs and starts the system parts svc's local platform and tests use, on Debian/Ubuntu, as
# root: the Docker engine (started in the background when none answers), static busybox (example
# and pause images, built offline), a private registry with htpasswd auth, and D-Bus with
# gnome-keyring for the keychain tests.
set -euo pipefail

# Installing packages and starting dockerd need root: re-run through sudo when not root.
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run this as root (no sudo here)" >&2; exit 1; }
  exec sudo --preserve-env=DOCKER_HOST bash "$0" "$@"
fi

need=()
command -v dockerd >/dev/null || need+=(docker.io)
if ! { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }; then need+=(busybox-static); fi
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v curl >/dev/null || need+=(curl)
# A real Secret Service for the keychain tests (started per test on a private session bus).
command -v dbus-daemon >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd (log: /tmp/svc-dockerd.log)"
  (dockerd >/tmp/svc-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start:" >&2; tail -20 /tmp/svc-dockerd.log >&2; exit 1; }
fi
echo "setup: docker $(docker version --format '{{.Server.Version}}') ready"
