# shellcheck shell=bash
# Sourced by container/make-base.sh and container/fresh-test.sh: which Debian mirror to
# debootstrap from, and the apt sources a Debian system made from it gets.

# The mirror: $DEBIAN_MIRROR, else the first Debian URI in apt's sources here (deb822
# .sources files first, then one-line sources.list entries), else deb.debian.org; printed
# without a trailing slash.
debian_mirror() {
  local file mirror=${DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    mirror=$({
      for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$file"
      done
      for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }' "$file"
      done
    } | head -n 1) || true
  fi
  mirror=${mirror:-http://deb.debian.org/debian}
  printf '%s\n' "${mirror%/}"
}

# debian_sources SUITE MIRROR: a deb822 debian.sources for the release, its updates and its
# security updates (from MIRROR's sibling debian-security), as an installed Debian has.
debian_sources() {
  local suite=$1 mirror=$2
  cat <<SRC
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}
