#!/usr/bin/env bash
# The README's set-up on a fresh Debian 12 machine, and the body of `make fresh-test`.
#
# It makes a clean Debian bookworm root with debootstrap, installs only the Debian packages
# the README names (PREREQS below), clones this repository's committed HEAD into it and, in
# a chroot with a clean environment, runs what the README tells a new user to run:
#   make serve                 in the background; passes once /atom.xml answers 200 with
#                              an Atom feed and the server stops cleanly on Ctrl-C (SIGINT
#                              to its process group, as a terminal sends it)
#   make system-deps           as root
#   CI=true make test          which must pass with no test skipped
# Before python3-venv is installed, `make serve` must fail at once, with one line naming
# python3-venv as the last it prints (make's own "***" line aside) and no traceback; once
# python3-venv is installed, a plain `make serve` must work (no make clean).
# Every step prints "fresh-test [ elapsed]: ..." and its own time; the first failure prints
# "FAIL: ..." with the last lines of that step's log and exits 1.
#
# Run from anywhere, as root:   bash container/fresh-test.sh
# Exit codes: 0 passed, 1 failed, 77 skipped (not root, no debootstrap, port 8000 taken;
# the reason is printed). Under CI=true a skip is a failure (exit 1).
#
# Why debootstrap's minbase variant: it is the smallest Debian 12 there is (essential and
# required packages and apt, as in the official debian:bookworm image), so every Debian 12
# machine, a server install or a desktop, has at least what it has. If the README's list
# suffices here, it suffices there; a package the README forgets cannot be hidden by one
# that a fuller install happens to bring. apt keeps Debian's defaults (recommended packages
# are installed, as on a user's machine), and the root gets the release, updates and
# security sources an installed system has.
#
# Env: FRESH_PREREQS     the packages a new user installs first (default: the README's list)
#      DEBIAN_MIRROR     the mirror (default: the one apt uses here; container/debian-mirror.sh)
#      FRESH_CACHE=0     always debootstrap; by default the pristine debootstrap result is
#                        kept as a tarball in FRESH_CACHE_DIR (default /var/cache/syndicate),
#                        keyed by suite, variant, architecture and mirror, remade after
#                        FRESH_CACHE_DAYS (default 7) days. Every run unpacks a new root
#                        from it and deletes that root at the end.
#      FRESH_CA_FILE     the CA bundle this machine trusts (default
#                        /etc/ssl/certs/ca-certificates.crt); see install_extra_cas
#      FRESH_TMPFS       1: the root in a tmpfs, 0: on disk under /var/tmp; default auto:
#                        in memory where 12 GiB or more are available; never with FRESH_KEEP
#      FRESH_KEEP=1      keep the root (unmounted) and the logs, for a look afterwards (until
#                        the next run)
#      FRESH_STEP_TIMEOUT  seconds any one step may take (default 1800)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=container/debian-mirror.sh
. "$HERE/debian-mirror.sh"

# What the README tells a new user to install before anything else.
read -r -a PREREQS <<<"${FRESH_PREREQS:-git make python3 python3-venv ca-certificates}"
SUITE=bookworm
VARIANT=minbase
PORT=8000  # make serve's; the root shares this machine's network
CLONE=/root/syndicate
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SKIP=77
CACHE_DIR=${FRESH_CACHE_DIR:-/var/cache/syndicate}
CACHE_DAYS=${FRESH_CACHE_DAYS:-7}
CA_FILE=${FRESH_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
STEP_TIMEOUT=${FRESH_STEP_TIMEOUT:-1800}
SERVE_TIMEOUT=900  # make serve's first run: the venv, pip install, the first build
STOP_TIMEOUT=15    # Ctrl-C to every process gone

T0=$SECONDS
# The script's own stdout and stderr as fds 3 and 4: what it says reaches them even from a
# trap that runs while a step's output goes to that step's log. Closed for the root's
# processes, so none of them keeps the caller's output open.
exec 3>&1 4>&2
work=""      # /var/tmp/syndicate-fresh.XXXXXX: root/, logs/
root=""      # the Debian root being tested
log=""       # the current step's log, shown on failure
step_t=0     # the current step's start
timings=()   # "step N s", for the summary

say() { printf 'fresh-test [%3ds]: %s\n' "$((SECONDS - T0))" "$*" >&3; }
fail() {
  printf 'FAIL: %s\n' "$*" >&4
  if [ -n "$log" ] && [ -s "$log" ]; then
    printf -- '--- last lines of %s:\n' "${log##*/}" >&4
    tail -n "${FAIL_LINES:-40}" "$log" >&4
    printf -- '---\n' >&4
  fi
  exit 1
}
skip() {
  if [ "${CI:-}" = true ]; then
    printf 'FAIL: skip is not allowed under CI=true: %s\n' "$*" >&4
    exit 1
  fi
  printf 'fresh-test: skip: %s\n' "$*" >&3
  exit "$SKIP"
}
# start NAME: a new step with its own log in logs/; done_ MESSAGE: it passed.
start() {
  step_name=$1
  step_t=$SECONDS
  log=$work/logs/$(printf '%02d' "$(($(find "$work/logs" -type f | wc -l) + 1))")-$1.log
  : >"$log"
}
done_() {
  local took=$((SECONDS - step_t))
  timings+=("$step_name ${took}s")
  say "$* (${took} s)"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# ------------------------------------------------------------------ the root's processes
root_pids() {
  local proc
  [ -n "$root" ] || return 0
  for proc in /proc/[0-9]*; do
    if [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ]; then
      printf '%s\n' "${proc#/proc/}"
    fi
  done
}
# Ends every process whose root is the test root: TERM, then KILL after 5 s. Prints what
# it found ("pid command"), nothing when none was running.
kill_root_pids() {
  local pids pid
  pids=$(root_pids)
  [ -n "$pids" ] || return 0
  for pid in $pids; do
    printf '%s %s\n' "$pid" "$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | cut -c1-120)"
  done
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 50); do
    [ -n "$(root_pids)" ] || return 0
    sleep 0.1
  done
  pids=$(root_pids)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  sleep 0.5
}
# After a step: nothing it started may still run in the root.
check_no_leftovers() {
  local left
  left=$(kill_root_pids)
  [ -z "$left" ] || printf 'fresh-test: warning: still running in the root after %s (ended now):\n%s\n' \
    "$1" "$left" >&4
}

# ------------------------------------------------------------------------------ mounts
root_mounts() {  # every mount point at or under $root, deepest first
  [ -n "$root" ] || return 0
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
mount_root() {
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  # /sys with its cgroup mounts, as a booted machine has it (worker counts read cgroup
  # limits); a slave copy, so that unmounting it here never reaches the host's.
  mount --rbind /sys "$root/sys"
  mount --make-rslave "$root/sys"
  # A /dev of its own: the usual nodes, a private devpts and a /dev/shm (chromium's
  # shared memory), nothing of the host's devices.
  mount -t tmpfs -o nosuid,mode=0755,size=16m dev "$root/dev"
  mknod -m 666 "$root/dev/null" c 1 3
  mknod -m 666 "$root/dev/zero" c 1 5
  mknod -m 666 "$root/dev/full" c 1 7
  mknod -m 666 "$root/dev/random" c 1 8
  mknod -m 666 "$root/dev/urandom" c 1 9
  mknod -m 666 "$root/dev/tty" c 5 0
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mkdir "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
}
unmount_root() {
  local point
  for point in $(root_mounts); do
    umount "$point" 2>/dev/null || umount --lazy "$point" 2>/dev/null || true
  done
  [ -z "$(root_mounts)" ]
}

# dispose_root: end what runs in $root, unmount it and delete it (keep it, unmounted, with
# FRESH_KEEP=1). Returns 1, and leaves it, when something stays mounted.
dispose_root() {
  local left
  [ -n "$root" ] && [ -d "$root" ] || return 0
  left=$(kill_root_pids)
  [ -z "$left" ] || printf 'fresh-test: ended what still ran in the root:\n%s\n' "$left" >&4
  if ! unmount_root; then
    printf 'fresh-test: error: could not unmount:\n%s\n' "$(root_mounts)" >&4
    return 1
  fi
  if [ "${FRESH_KEEP:-0}" = 1 ]; then
    printf 'fresh-test: kept the root %s (unmounted) and the logs %s\n' "$root" "$work/logs" >&4
  else
    # --one-file-system: whatever could still be mounted in there is never walked into.
    local t=$SECONDS
    rm -rf --one-file-system "$root"
    [ -z "$work" ] || say "unmounted and deleted the root ($((SECONDS - t)) s)"
  fi
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  dispose_root || status=1
  if [ -n "$work" ] && [ "${FRESH_KEEP:-0}" != 1 ] && [ -z "$(root_mounts)" ]; then
    if [ "$status" = 0 ]; then
      rm -rf --one-file-system "$work"
    else
      rm -f "$work/owner"
      printf 'fresh-test: the logs are kept in %s\n' "$work/logs" >&4
    fi
  fi
  exit "$status"
}

# A run killed outright (SIGKILL, a stopped machine) could not clean up: its folder still
# has its owner file ("pid start-time") and maybe a mounted root. The next run ends its
# processes, unmounts and deletes that root, and keeps its logs.
owner_of() { awk -v pid="$1" '{ print pid, $22 }' "/proc/$1/stat" 2>/dev/null || true; }
tidy_killed_runs() {
  local dir owner root
  for dir in /var/tmp/syndicate-fresh.*; do
    [ -f "$dir/owner" ] || continue
    owner=$(cat "$dir/owner")
    [ "$(owner_of "${owner%% *}")" != "$owner" ] || continue  # still running
    root=$dir/root
    if FRESH_KEEP=0 dispose_root; then
      rm -f "$dir/owner"
      say "cleaned up after a run that was killed: $dir (its logs are kept)"
    fi
  done
}

# ----------------------------------------------------------------- running in the root
# in_root COMMAND: COMMAND in a login shell in the root, in a clean environment: nothing of
# this machine's (its Python, PIP_* variables, pip.conf, PATH) reaches it. CI is passed on
# when set. Killed (its process group) after STEP_TIMEOUT seconds.
root_env() {
  printf '%s\0' env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
    "PATH=$ROOT_PATH" LANG=C.UTF-8
  if [ -n "${CI+set}" ]; then printf 'CI=%s\0' "$CI"; fi
  printf '%s\0' chroot "$root" /bin/bash -l -c
}
in_root() {
  local -a cmd
  mapfile -d '' cmd < <(root_env)
  # In the background and waited for: a signal to this script then runs its trap at once,
  # not when the step is over (cleanup ends what runs in the root).
  timeout --kill-after=20 "$STEP_TIMEOUT" "${cmd[@]}" "$1" </dev/null 3>&- 4>&- &
  wait "$!"
}
# run_in_root WHAT COMMAND: in_root COMMAND into the step's log; FAIL with WHAT on error.
run_in_root() {
  local what=$1 rc=0
  in_root "$2" >>"$log" 2>&1 || rc=$?
  [ "$rc" != 124 ] || fail "$what: took longer than $STEP_TIMEOUT s"
  [ "$rc" = 0 ] || fail "$what: exit status $rc"
}

# The root's Python fetches http://127.0.0.1:PORT/atom.xml: prints the status (000 when
# nothing answered) and, on 200, the number of Atom entries; exits 1 unless it is an
# Atom feed with entries.
probe_atom() {
  in_root "python3 -c '
import sys, urllib.error, urllib.request, xml.etree.ElementTree as ET
try:
    with urllib.request.urlopen(\"http://127.0.0.1:$PORT/atom.xml\", timeout=5) as response:
        status, body = response.status, response.read()
except urllib.error.HTTPError as exc:
    status, body = exc.code, b\"\"
except OSError:
    status, body = 0, b\"\"
if status != 200:
    print(f\"{status:03d}\")
    sys.exit(1)
try:
    feed = ET.fromstring(body)
except ET.ParseError as exc:
    print(f\"200 but not XML: {exc}\")
    sys.exit(1)
ns = \"{http://www.w3.org/2005/Atom}\"
entries = len(feed.findall(ns + \"entry\"))
print(f\"200 {feed.tag} {entries} entries\")
sys.exit(0 if feed.tag == ns + \"feed\" and entries > 0 else 1)
'"
}

# One certificate a line (its PEM lines joined), for comparing bundles.
pem_lines() {
  awk '{ sub(/\r$/, "") } /-----BEGIN CERTIFICATE-----/ { pem = "" } { pem = pem $0 }
       /-----END CERTIFICATE-----/ { print pem }' "$1"
}
# The CAs this machine trusts beyond Debian's own list (a TLS-intercepting proxy's, as on
# this project's machines, where PyPI is reached only through one) go into the root the
# way a user behind such a proxy adds them: as .crt files in
# /usr/local/share/ca-certificates, then update-ca-certificates, after ca-certificates is
# installed. apt (over http), git and the venv's pip (Debian's pip uses the system bundle)
# then trust the network; no PIP_CERT or pip.conf is set. Prints how many were added.
install_extra_cas() {
  local extras
  if [ ! -s "$CA_FILE" ] || [ ! -s "$root/etc/ssl/certs/ca-certificates.crt" ]; then
    echo 0
    return 0
  fi
  # Known: the root's bundle, and Debian's own certificates on this machine (an older or
  # newer ca-certificates than the root's differs by a few Mozilla CAs, none of them extra).
  extras=$(comm -23 <(pem_lines "$CA_FILE" | sort -u) <({
    pem_lines "$root/etc/ssl/certs/ca-certificates.crt"
    find /usr/share/ca-certificates -name '*.crt' -type f -exec cat {} + 2>/dev/null | pem_lines /dev/stdin
  } | sort -u))
  [ -n "$extras" ] || { echo 0; return 0; }
  printf '%s\n' "$extras" | awk -v dir="$root/usr/local/share/ca-certificates" '
    { body = $0
      sub(/^-----BEGIN CERTIFICATE-----/, "", body); sub(/-----END CERTIFICATE-----$/, "", body)
      file = sprintf("%s/fresh-test-extra-%d.crt", dir, NR)
      print "-----BEGIN CERTIFICATE-----" >file
      for (i = 1; i <= length(body); i += 64) print substr(body, i, 64) >file
      print "-----END CERTIFICATE-----" >file
      close(file) }'
  printf '%s\n' "$extras" | wc -l
}

# ------------------------------------------------------------------------ can it run?
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, mount and chroot)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
repo=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) \
  || fail "$HERE is not in a git clone: the test clones the repository's committed HEAD"
! port_open || skip "port $PORT is in use here, and make serve in the root (which shares this machine's network) needs it"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tidy_killed_runs
work=$(mktemp -d /var/tmp/syndicate-fresh.XXXXXX)
owner_of $$ >"$work/owner"
mkdir "$work/logs"
mirror=$(debian_mirror)
arch=$(dpkg --print-architecture)
head=$(git -C "$repo" log -1 --format='%h %s' | cut -c1-72)
say "testing $head from $repo on a new Debian $SUITE ($VARIANT, $arch) from $mirror"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  say "note: $repo has uncommitted changes; only committed HEAD is tested, as a clone has it"
fi

# --------------------------------------------------------- the pristine Debian root
start debootstrap
root=$work/root
mkdir "$root"
# The root lives in memory when there is plenty (half of what is available may be used):
# dpkg's fsync after every file and deleting the ~100,000 files of a used root cost next
# to nothing there (on this project's disk, deleting it alone took 75 s).
avail_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
tmpfs=${FRESH_TMPFS:-auto}
if [ "$tmpfs" = auto ]; then
  tmpfs=0
  [ "${avail_kib:-0}" -lt $((12 * 1024 * 1024)) ] || tmpfs=1
fi
[ "${FRESH_KEEP:-0}" != 1 ] || tmpfs=0  # a root kept for a look must outlive its unmounting
where="on disk in $work"
if [ "$tmpfs" = 1 ]; then
  mount -t tmpfs -o "mode=0755,size=$((avail_kib / 2))k" fresh-root "$root"
  where="in memory (tmpfs of up to $((avail_kib / 2 / 1024 / 1024)) GiB)"
fi
# debootstrap_into DIR: a pristine root, without what no installed system starts with
# (resolv.conf and hosts are this machine's copies, put in again for each run).
debootstrap_into() {
  debootstrap --variant="$VARIANT" --merged-usr "$SUITE" "$1" "$mirror" >>"$log" 2>&1 \
    || fail "debootstrap --variant=$VARIANT $SUITE $mirror failed"
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/etc/resolv.conf "$1"/etc/hosts
}
if command -v zstd >/dev/null; then compress=--zstd ext=tar.zst; else compress=--gzip ext=tar.gz; fi
key=$(printf '%s %s %s %s\n' "$SUITE" "$VARIANT" "$arch" "$mirror" | sha256sum | cut -c1-12)
tarball=$CACHE_DIR/fresh-root-$SUITE-$VARIANT-$arch-$key.$ext
if [ "${FRESH_CACHE:-1}" = 0 ]; then
  debootstrap_into "$root"
  how="debootstrap --variant=$VARIANT"
else
  if [ -n "$(find "$tarball" -mtime "-$CACHE_DAYS" 2>/dev/null)" ]; then
    how="unpacked the cached debootstrap of $(date -r "$tarball" '+%F %H:%M') ($tarball)"
  else
    debootstrap_into "$work/pristine"
    mkdir -p "$CACHE_DIR"
    rm -f "$CACHE_DIR"/fresh-root-"$SUITE"-"$VARIANT"-"$arch"-*.tar.*
    # shellcheck disable=SC2086
    { tar --numeric-owner --xattrs -C "$work/pristine" $compress -cf "$tarball.$$" . \
      && mv -f "$tarball.$$" "$tarball"; } || fail "cannot write $tarball"
    rm -rf --one-file-system "$work/pristine"
    how="debootstrap --variant=$VARIANT, cached as $tarball"
  fi
  # shellcheck disable=SC2086
  tar --numeric-owner --xattrs -C "$root" $compress -xf "$tarball" >>"$log" 2>&1 || fail "cannot unpack $tarball"
fi
done_ "a clean Debian $SUITE root $where: $how"

# ---------------------------------------------------------------- the machine around it
start setup
rm -f "$root/etc/apt/sources.list"
debian_sources "$SUITE" "$mirror" >"$root/etc/apt/sources.list.d/debian.sources"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp -L /etc/hosts "$root/etc/hosts"
# Packages install without starting their services (nginx would otherwise listen on this
# machine's port 80, the network being shared): the usual policy of a chroot. The tests
# start the servers they need themselves.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mount_root >>"$log" 2>&1 || fail "could not mount proc, sys and dev in the root"
leaks=$(in_root 'env | grep "^PIP_"; ls -d /etc/pip.conf /etc/xdg/pip ~/.config/pip ~/.pip 2>/dev/null; command -v pip pip3 python3' || true)
[ -z "$leaks" ] || fail "the root is not clean, it has: $(tr '\n' ' ' <<<"$leaks")"
done_ "mounted proc, sys, dev, dev/pts, dev/shm; no Python, pip or PIP_* settings in the root"

# ------------------------------------------------------ the README's prerequisites
first=()
for package in "${PREREQS[@]}"; do [ "$package" = python3-venv ] || first+=("$package"); done
start apt-prereqs
# apt-get update first: a new root's package lists are empty (as a new debian:bookworm
# container's are), and the README's apt-get install alone says "Unable to locate package".
run_in_root "apt-get install ${first[*]}" \
  "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${first[*]}"
check_no_leftovers "apt-get install"
added=$(install_extra_cas)
if [ "$added" != 0 ]; then
  run_in_root "update-ca-certificates" update-ca-certificates
fi
done_ "apt-get install ${first[*]}; $added CA(s) this machine trusts beyond Debian's added to the root's"

start clone
# A bare copy of the repository's HEAD branch (committed files only; shallow if this clone
# is, as CI's may be) that the root's own git then clones, as a user's git clones a URL.
git clone --quiet --bare --no-local --single-branch "file://$repo" "$root/tmp/syndicate.git" >>"$log" 2>&1 \
  || fail "git clone --bare of $repo failed"
run_in_root "git clone" "git clone /tmp/syndicate.git $CLONE && rm -rf /tmp/syndicate.git"
done_ "git clone of $(git -C "$repo" rev-parse --short HEAD) into $CLONE (only committed files)"

# ------------------------------------------- make serve before python3-venv is installed
if [[ " ${PREREQS[*]} " == *" python3-venv "* ]]; then
  start serve-without-venv
  rc=0
  in_root "cd $CLONE && make serve" >"$log" 2>&1 || rc=$?
  took=$((SECONDS - step_t))
  check_no_leftovers "make serve without python3-venv"
  [ "$rc" != 0 ] || fail "make serve without python3-venv exited 0"
  [ "$rc" != 124 ] || fail "make serve without python3-venv was still running after $STEP_TIMEOUT s"
  [ "$took" -le 60 ] || fail "make serve without python3-venv took $took s to fail (fast: under 60 s)"
  ! grep -q '^Traceback' "$log" || fail "make serve without python3-venv failed with a Python traceback"
  # The line the user reads last, make's own "make: *** [...] Error 1" aside.
  last=$(grep -v -E '^make(\[[0-9]+\])?: \*\*\* ' "$log" | grep -v -E '^\s*$' | tail -n 1 || true)
  [[ $last == *python3-venv* ]] \
    || fail "make serve without python3-venv: its last line does not name python3-venv: '$last'"
  # One line says it, not a page of ensurepip's advice.
  named=$(grep -c python3-venv "$log" || true)
  [ "$named" = 1 ] || fail "make serve without python3-venv: $named lines name python3-venv, not one"
  n=$(grep -c '' "$log")
  done_ "make serve without python3-venv fails at once (exit $rc, $n lines of output): $last"

  start apt-venv
  run_in_root "apt-get install python3-venv" "DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv"
  done_ "apt-get install python3-venv"
fi

# ----------------------------------------------------------------------- make serve
start serve
! port_open || fail "port $PORT was taken before make serve (by something outside the root?)"
mapfile -d '' serve_cmd < <(root_env)
# Its own session and process group (setsid execs, so the pid is make's and the group's),
# as a terminal's foreground job is.
setsid "${serve_cmd[@]}" "cd $CLONE && exec make serve" </dev/null >"$log" 2>&1 3>&- 4>&- &
serve_pid=$!
deadline=$((SECONDS + SERVE_TIMEOUT))
answer=""
while :; do
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    rc=0
    wait "$serve_pid" || rc=$?
    fail "make serve exited (status $rc) before /atom.xml answered"
  fi
  if answer=$(probe_atom 2>&1); then break; fi
  if [[ $answer == 200* ]]; then
    kill -INT -- "-$serve_pid" 2>/dev/null || true
    fail "make serve: /atom.xml answered but is not an Atom feed with entries: $answer"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    kill -INT -- "-$serve_pid" 2>/dev/null || true
    fail "make serve: /atom.xml did not answer 200 within $SERVE_TIMEOUT s (last: $answer)"
  fi
  sleep 1
done
in_root "test -x $CLONE/.venv/bin/syndicate && test ! -e $CLONE/.venv/bin/pytest" \
  || fail "make serve: the README says it installs what serving needs, but .venv has the test tools (pytest) or no syndicate"
done_ "make serve answered http://127.0.0.1:$PORT/atom.xml: $answer"

# Ctrl-C: SIGINT to the whole foreground process group (make and the server).
serve_log=$log
start serve-stop
rm -f "$log"
log=$serve_log
t_stop=$SECONDS
kill -INT -- "-$serve_pid"
while kill -0 "$serve_pid" 2>/dev/null && [ $((SECONDS - t_stop)) -lt "$STOP_TIMEOUT" ]; do sleep 0.2; done
if kill -0 "$serve_pid" 2>/dev/null; then
  fail "make serve was still running $STOP_TIMEOUT s after Ctrl-C (SIGINT)"
fi
rc=0
wait "$serve_pid" || rc=$?
left=$(kill_root_pids)
[ -z "$left" ] || fail "after Ctrl-C make serve exited but these still ran in the root: $left"
! port_open || fail "after Ctrl-C port $PORT still answers"
! grep -q '^Traceback' "$log" || fail "after Ctrl-C make serve printed a Python traceback"
# make itself dies of the SIGINT it got (130) whatever its child did; 0 if it caught it.
[ "$rc" = 0 ] || [ "$rc" = 130 ] || fail "after Ctrl-C make serve exited with status $rc (expected 130 or 0)"
done_ "Ctrl-C stopped make serve in $((SECONDS - t_stop)) s (exit $rc), nothing left running, no traceback"

# -------------------------------------------------------------------- make system-deps
start system-deps
run_in_root "make system-deps" "cd $CLONE && make system-deps"
check_no_leftovers "make system-deps"
done_ "make system-deps (as root)"

# ------------------------------------------------------------------ CI=true make test
start test
FAIL_LINES=60
run_in_root "CI=true make test" "cd $CLONE && CI=true make test"
check_no_leftovers "make test"
summary=$(grep -E '^=+ .*[0-9]+ (passed|failed|errors?)\b.* in [0-9.]+s.* =+$' "$log" | tail -n 1 || true)
[ -n "$summary" ] || fail "CI=true make test: no pytest summary line in its output"
if [[ $summary == *skipped* ]]; then
  grep -E '^SKIPPED ' "$log" >&4 || true
  fail "CI=true make test: tests were skipped: $summary"
fi
done_ "CI=true make test: $(sed -E 's/^=+ //; s/ =+$//' <<<"$summary")"

say "passed: the README's set-up works on a fresh Debian $SUITE ($(IFS=,; printf '%s' "${timings[*]}" | sed 's/,/, /g'))"
