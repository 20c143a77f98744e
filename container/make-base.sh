#!/usr/bin/env bash
# Make the base image debian:bookworm-slim when the local image store lacks it.
#
# With a registry at hand it is pulled. Without one (no registry is reachable on the
# project's machines) an equivalent is made from Debian's own packages: debootstrap's
# minbase variant of bookworm, from the mirror apt already uses here, trimmed the way the
# official slim image is (no docs, man pages or locales; no apt lists or caches), then
# imported and tagged docker.io/library/debian:bookworm-slim, the name `FROM
# debian:bookworm-slim` resolves to.
#
# Usage: container/make-base.sh        (as root; needs podman and debootstrap)
# Env:   PODMAN        the podman command with its global flags (default: podman)
#        DEBIAN_MIRROR the mirror (default: the first Debian URI in apt's sources)
#        BASE_PULL=0   skip the pull attempt and always debootstrap
set -euo pipefail

IMAGE=docker.io/library/debian:bookworm-slim
SUITE=bookworm
read -r -a podman <<<"${PODMAN:-podman}"

say() { printf 'make-base: %s\n' "$*"; }
die() { printf 'make-base: error: %s\n' "$*" >&2; exit 1; }

if "${podman[@]}" image exists "$IMAGE"; then
  say "$IMAGE is already there"
  exit 0
fi

if [ "${BASE_PULL:-1}" != 0 ] && timeout 300 "${podman[@]}" pull --quiet "$IMAGE" >/dev/null 2>&1; then
  say "pulled $IMAGE"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# shellcheck source=container/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"
mirror=$(debian_mirror)

root=$(mktemp -d /var/tmp/syndicate-base.XXXXXX)
trap 'rm -rf "$root"' EXIT

say "debootstrap --variant=minbase $SUITE from $mirror"
start=$SECONDS
debootstrap --variant=minbase --merged-usr "$SUITE" "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; die "debootstrap failed"; }
rm -f "$root.log"

# What the slim image leaves out, for this and for every later dpkg install.
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
cat >"$root/etc/apt/apt.conf.d/slim" <<'CFG'
APT::Install-Recommends "false";
Acquire::Languages "none";
CFG
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*

# The image's apt sources: the release, its updates and its security updates.
rm -f "$root/etc/apt/sources.list"
debian_sources "$SUITE" "$mirror" >"$root/etc/apt/sources.list.d/debian.sources"

rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
: >"$root/etc/hostname"
rm -f "$root/etc/resolv.conf" "$root/etc/hosts"
say "debootstrap took $((SECONDS - start)) s"

tar --numeric-owner --xattrs -C "$root" -c . \
  | "${podman[@]}" import --quiet \
    --change 'CMD ["bash"]' \
    --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase made by debootstrap from $mirror\"" \
    - "$IMAGE" >/dev/null
say "imported $IMAGE ($("${podman[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes)"
