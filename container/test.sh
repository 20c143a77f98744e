#!/usr/bin/env bash
# The container image's real test, and the body of `make container-test`: make the base
# image if it is missing, build the syndicate image with podman, run it and check what an
# operator relies on. Each check prints "ok [seconds since start]: ..." as it passes; the
# first failure prints "FAIL: ..." (with the container's last log lines) and exits 1.
#
# Run from anywhere, as root (podman as root, debootstrap for the base image):
#   bash container/test.sh
# Exit codes: 0 passed, 1 failed, 77 skipped (podman cannot work here; the reason is
# printed). Under CI=true a skip is a failure (exit 1).
#
# Env: SYNDICATE_IMAGE  tag to build and test (default: localhost/syndicate:latest, the
#                       tag deploy/ uses)
#      PODMAN           podman command (default: podman with the flags below)
#      PIP_CA_FILE      CA bundle/certificate pip trusts during the build (default: the
#                       machine's /etc/ssl/certs/ca-certificates.crt when present)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE=${SYNDICATE_IMAGE:-localhost/syndicate:latest}
BASE=docker.io/library/debian:bookworm-slim
UID_EXPECTED=10001
SKIP=77
RUN_ID="syndicate-test-$$"

# podman's global flags: cgroupfs because no systemd runs here to manage cgroups (the
# systemd manager would fail); runc when installed, the runtime this was tested with
# (podman's own choice otherwise). The storage driver is podman's default (overlay works
# here); set STORAGE_DRIVER=vfs where overlay cannot mount.
default_podman="podman --cgroup-manager cgroupfs"
command -v runc >/dev/null 2>&1 && default_podman+=" --runtime runc"
read -r -a P <<<"${PODMAN:-$default_podman}"

# Resource limits for every container and build step. podman's default rlimits (nofile
# 1048576, and a large nproc) are more than this machine lets a container raise them to:
# runc fails with "error setting rlimit type 7 (nofile) / 6 (nproc): operation not
# permitted". nofile above the caller's hard limit and nproc above 32768 are refused here.
hard_nofile=$(ulimit -Hn)
[[ $hard_nofile =~ ^[0-9]+$ ]] || hard_nofile=65536
nofile=$((hard_nofile < 65536 ? hard_nofile : 65536))
LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=4096:4096")

containers=()
workdir=$(mktemp -d "${TMPDIR:-/tmp}/syndicate-container-test.XXXXXX")
current=""  # the container whose logs explain a failure

cleanup() {
  local name
  for name in "${containers[@]}"; do
    "${P[@]}" rm --force --time 0 "$name" >/dev/null 2>&1 || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
pass() { printf 'ok [%3ds]: %s\n' "$SECONDS" "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  if [ -n "$current" ]; then
    printf -- '--- last log lines of %s:\n' "$current" >&2
    "${P[@]}" logs --tail 30 "$current" >&2 2>&1 || true
  fi
  exit 1
}
skip() {
  if [ "${CI:-}" = true ]; then
    printf 'FAIL: skip is not allowed under CI=true: %s\n' "$*" >&2
    exit 1
  fi
  printf 'skip: %s\n' "$*"
  exit "$SKIP"
}

# An HTTP GET from the host: prints the status (000 when nothing answered), body to $2.
http_get() {
  python3 - "$1" "$2" <<'PY'
import sys, urllib.error, urllib.request
url, out = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(url, timeout=5) as response:
        status, body = response.status, response.read()
except urllib.error.HTTPError as exc:
    status, body = exc.code, exc.read()
except OSError:
    status, body = 0, b""
open(out, "wb").write(body)
print(f"{status:03d}")
PY
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

elapsed() { printf '%ds' "$((SECONDS - $1))"; }

# ----------------------------------------------------------------- can podman work here?
command -v python3 >/dev/null || skip "python3 is not installed on the host"
command -v "${P[0]}" >/dev/null || skip "podman is not installed (apt-get install podman)"
if ! podman_info=$("${P[@]}" info 2>&1); then
  skip "podman does not work here: $(printf '%s\n' "$podman_info" | tail -n 1)"
fi
say "podman $("${P[@]}" version --format '{{.Client.Version}}'), storage driver" \
  "$("${P[@]}" info --format '{{.Store.GraphDriverName}}'), flags: ${P[*]:1} ${LIMITS[*]}"

# ------------------------------------------------------------------------- base image
t_base=$SECONDS
if ! "${P[@]}" image exists "$BASE"; then
  command -v debootstrap >/dev/null || skip "$BASE is missing and debootstrap is not installed"
  [ "$(id -u)" = 0 ] || skip "$BASE is missing and making it with debootstrap needs root"
  PODMAN="${P[*]}" bash container/make-base.sh || fail "could not make the base image $BASE"
fi
base_time=$(elapsed "$t_base")
if ! smoke=$("${P[@]}" run --rm "${LIMITS[@]}" --network none "$BASE" true 2>&1); then
  skip "podman cannot run a container here: $(printf '%s\n' "$smoke" | tail -n 1)"
fi
pass "base image $BASE is there and runs ($base_time)"

# ------------------------------------------------------------------------------ build
t_build=$SECONDS
build_args=(--format docker --pull=never --tag "$IMAGE" "${LIMITS[@]}")
ca=${PIP_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$ca" ] && build_args+=(--secret "id=pip_ca,src=$ca")
if ! "${P[@]}" build "${build_args[@]}" . >"$workdir/build.log" 2>&1; then
  tail -n 40 "$workdir/build.log" >&2
  fail "podman build failed (last lines above)"
fi
build_time=$(elapsed "$t_build")
size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE")
pass "built $IMAGE ($((size / 1000000)) MB) in $build_time"

# ----------------------------------------------------------------------------- checks
t_checks=$SECONDS

config=$("${P[@]}" image inspect --format '{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$IMAGE")
[ "$config" = "$UID_EXPECTED:$UID_EXPECTED [\"syndicate\"] [\"serve\"]" ] \
  || fail "image config: expected user $UID_EXPECTED:$UID_EXPECTED, ENTRYPOINT [\"syndicate\"], CMD [\"serve\"]; got: $config"
health=$("${P[@]}" image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
[[ $health == *healthcheck.py* ]] || fail "image has no HEALTHCHECK (was it built with --format docker?): $health"
pass "image runs syndicate serve as $UID_EXPECTED by default and has a HEALTHCHECK"

# `IMAGE check` on the example content the image ships.
if ! out=$("${P[@]}" run --rm "${LIMITS[@]}" --network none --read-only "$IMAGE" check 2>&1); then
  printf '%s\n' "$out" | tail -n 20 >&2
  fail "'podman run IMAGE check' exited non-zero on the bundled example content"
fi
pass "IMAGE check exits 0: $(printf '%s\n' "$out" | tail -n 1)"

# `IMAGE build --out` on a read-only root with a tmpfs /tmp.
if ! out=$("${P[@]}" run --rm "${LIMITS[@]}" --network none --read-only --read-only-tmpfs=false \
  --tmpfs /tmp "$IMAGE" build --out /tmp/out 2>&1); then
  printf '%s\n' "$out" | tail -n 20 >&2
  fail "'podman run --read-only --tmpfs /tmp IMAGE build --out /tmp/out' exited non-zero"
fi
pass "IMAGE build --out /tmp/out works on a read-only root: $(printf '%s\n' "$out" | tail -n 1)"

# A container limited to one CPU gets one first-build worker, however many the host has.
probe='from syndicate.workers.parallel import worker_count; print(worker_count(0))'
if ! out=$("${P[@]}" run --rm "${LIMITS[@]}" --network none --read-only --cpus 1 \
  --entrypoint python "$IMAGE" -c "$probe" 2>&1) || [[ $(printf '%s\n' "$out" | tail -n 1) != 1 ]]; then
  printf '%s\n' "$out" | tail -n 20 >&2
  fail "with --cpus 1, a first build would not use exactly one worker: $(printf '%s\n' "$out" | tail -n 1)"
fi
pass "with --cpus 1 a first build uses one worker (the host has $(nproc) CPUs)"

# The service: read-only root and only a tmpfs /tmp writable, no capabilities, the posts
# from a host folder, rebuilding every second. slirp4netns networking: the published port
# is relayed from the host's loopback into the container's own network namespace, so no
# traffic crosses a host bridge and the host's firewall rules stay as they were.
content="$workdir/content"
cp -R examples/site/content "$content"
chmod -R a+rX "$workdir"
port=$(free_port)
base_url="http://127.0.0.1:$port"
name="$RUN_ID-serve"
containers+=("$name")
current=$name
"${P[@]}" run --detach --name "$name" "${LIMITS[@]}" \
  --read-only --read-only-tmpfs=false --tmpfs /tmp \
  --cap-drop ALL --security-opt no-new-privileges \
  --health-interval disable \
  --network slirp4netns --publish "127.0.0.1:$port:8000" \
  --volume "$content:/srv/content:ro" \
  --env SYNDICATE_BUILD_INTERVAL=1 \
  --env "SYNDICATE_SITE_BASE_URL=$base_url/" \
  "$IMAGE" >"$workdir/run.log" 2>&1 || { cat "$workdir/run.log" >&2; fail "podman run (serve) failed"; }

deadline=$((SECONDS + 60))
status=000
while [ "$SECONDS" -lt "$deadline" ]; do
  status=$(http_get "$base_url/healthz" "$workdir/healthz.json")
  [ "$status" = 200 ] && break
  state=$("${P[@]}" inspect --format '{{.State.Status}}' "$name" 2>/dev/null || echo gone)
  [ "$state" = running ] || fail "the serve container stopped before /healthz answered (state: $state)"
  sleep 0.5
done
[ "$status" = 200 ] || fail "/healthz did not answer 200 within 60 s (last status $status)"
python3 - "$workdir/healthz.json" <<'PY' || fail "/healthz is not the expected JSON"
import json, sys
health = json.load(open(sys.argv[1]))
assert health.get("status") == "ok", health
assert health.get("posts", 0) > 0, health
PY
pass "/healthz answers 200 JSON with status ok on 127.0.0.1:$port (read-only root, cap-drop ALL)"

stdout_log=$("${P[@]}" logs "$name" 2>/dev/null) || fail "podman logs failed"
[[ $stdout_log == *0.0.0.0:8000* ]] \
  || fail "the server's log on stdout does not say it listens on 0.0.0.0:8000"
pass "the server logs to stdout that it listens on 0.0.0.0:8000"

atom_entries() {  # $1: file; prints the number of entries, fails unless it is an Atom feed
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2005/Atom}"
assert root.tag == ns + "feed", root.tag
print(len(root.findall(ns + "entry")))
PY
}
status=$(http_get "$base_url/atom.xml" "$workdir/atom.xml")
[ "$status" = 200 ] || fail "/atom.xml answered $status"
entries=$(atom_entries "$workdir/atom.xml") || fail "/atom.xml does not parse as an Atom feed"
[ "$entries" -gt 0 ] || fail "/atom.xml has no entries"
pass "/atom.xml answers 200 and parses as an Atom feed with $entries entries"

uid=$("${P[@]}" exec "$name" id -u) || fail "podman exec id -u failed"
[ "$uid" = "$UID_EXPECTED" ] || fail "the server runs as uid $uid, expected $UID_EXPECTED"
host_user=$("${P[@]}" top "$name" huser args | awk 'NR > 1 && /syndicate serve/ { print $1; exit }')
[ "$host_user" = "$UID_EXPECTED" ] || fail "'syndicate serve' runs as host uid '${host_user:-?}', expected $UID_EXPECTED"
pass "the server process runs as uid $UID_EXPECTED (in the container and on the host)"

# shellcheck disable=SC2016 # awk, not the shell, reads $2 and $4
"${P[@]}" exec "$name" awk '$2 == "/" { split($4, options, ","); ro = options[1] == "ro" } END { exit !ro }' \
  /proc/mounts || fail "the root file system is not mounted read-only"
"${P[@]}" exec "$name" sh -c 'touch /tmp/written' || fail "/tmp (tmpfs) is not writable"
pass "the root file system is read-only and /tmp writable"

if "${P[@]}" healthcheck run "$name" >"$workdir/health.log" 2>&1; then
  pass "HEALTHCHECK passes (podman healthcheck run: $("${P[@]}" inspect --format '{{.State.Health.Status}}' "$name"))"
else
  cat "$workdir/health.log" >&2
  fail "podman healthcheck run reports the container unhealthy"
fi

# A post written into the mounted folder on the host appears after the next rebuild.
marker="Container test post $RUN_ID"
cat >"$content/zz-container-test.md" <<EOF
---
title: "$marker"
date: $(date -u -d '1 day ago' '+%Y-%m-%d %H:%M:%S')
category: Notes
---
Written by container/test.sh into the bind-mounted content folder.
EOF
chmod a+r "$content/zz-container-test.md"
t_post=$SECONDS
deadline=$((SECONDS + 30))
found=""
while [ "$SECONDS" -lt "$deadline" ]; do
  status=$(http_get "$base_url/atom.xml" "$workdir/atom.xml")
  if [ "$status" = 200 ] && grep -qF "$marker" "$workdir/atom.xml"; then
    found=yes
    break
  fi
  sleep 0.5
done
[ -n "$found" ] || fail "a post added to the mounted content folder did not appear in /atom.xml within 30 s"
atom_entries "$workdir/atom.xml" >/dev/null || fail "/atom.xml after the rebuild does not parse"
pass "a post added on the host appears in /atom.xml after $((SECONDS - t_post)) s"

# podman stop: SIGTERM, a graceful shutdown well within podman's 10 s grace period.
t_stop=$(date +%s.%N)
"${P[@]}" stop --time 10 "$name" >/dev/null 2>&1 || fail "podman stop failed"
stop_seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
  "$t_stop" "$(date +%s.%N)")
code=$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$name")
python3 -c "import sys; sys.exit(float(sys.argv[1]) >= 10)" "$stop_seconds" \
  || fail "podman stop took ${stop_seconds} s (the limit is 10 s): SIGTERM was not handled"
[ "$code" = 0 ] || fail "after podman stop the server exited with $code, expected 0 (a clean shutdown)"
pass "podman stop ends the server in ${stop_seconds} s with exit code 0"
current=""

say "timing: base image $base_time, image build $build_time, checks $(elapsed "$t_checks")"
say "container test passed: $IMAGE"
