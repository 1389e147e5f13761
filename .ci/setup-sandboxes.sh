#!/usr/bin/env bash
# Prepare the sandbox backends for CI (idempotent; safe to run again).
#
#   1. apt-get install docker.io bubblewrap debootstrap        (skipped when already installed)
#   2. start dockerd WITHOUT touching host networking:
#        dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false
#      in the background, unless a daemon already answers `docker info`.
#      PID FILE: the pid of the dockerd this script started is written to
#        ${HARNESS_DOCKERD_PIDFILE:-/tmp/harness-dockerd.pid}
#      and the path is printed as the last line ("dockerd pid file: PATH"). The caller (.ci/run) must stop it at
#      exit:  [ -s "$PIDFILE" ] && kill "$(cat "$PIDFILE")"   (dockerd exits cleanly in about 3 s on SIGTERM).
#      If a daemon was already running, nothing is written and the file is removed: there is nothing to stop.
#      Daemon log: ${HARNESS_DOCKERD_LOG:-/tmp/harness-dockerd.log}.
#   3. wait for `docker info`;
#   4. build harness-sandbox/base:bookworm (debootstrap, ~40 s) and the python, java and go images (~60 s each); all
#      are skipped when an image with the same content label exists.
#
# Environment: PYTHON (default python3) is the interpreter with the harness installed; the `docker` Python
# package is installed into it if missing. Needs root (apt, dockerd, debootstrap).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
PIDFILE="${HARNESS_DOCKERD_PIDFILE:-/tmp/harness-dockerd.pid}"
LOG="${HARNESS_DOCKERD_LOG:-/tmp/harness-dockerd.log}"
DOCKER=/usr/bin/docker   # the Debian client; /usr/local/bin/docker may be a newer, different one
cd "$(dirname "$0")/.."

say() { echo "[setup-sandboxes] $*"; }

need=()
for pkg in docker.io bubblewrap debootstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  say "installing ${need[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

if "$DOCKER" info >/dev/null 2>&1; then
  if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "dockerd already running (started earlier by this script, pid $(cat "$PIDFILE"))"
  else
    say "a Docker daemon is already running (not ours): leaving it alone"
    rm -f "$PIDFILE"
  fi
else
  say "starting dockerd (no bridge, no iptables)"
  nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { say "dockerd exited; log:"; tail -20 "$LOG"; exit 1; }
    sleep 0.5
  done
  "$DOCKER" info >/dev/null 2>&1 || { say "dockerd did not answer within 60 s; log:"; tail -20 "$LOG"; exit 1; }
  say "dockerd ready (pid $(cat "$PIDFILE"))"
fi

"$PYTHON" -c "import docker" 2>/dev/null || "$PYTHON" -m pip install -q "docker>=7"
"$PYTHON" -m harness.runners.cli sandbox build-base
"$PYTHON" -m harness.runners.cli sandbox build python java go
"$PYTHON" -m harness.runners.cli doctor || true

echo "dockerd pid file: $PIDFILE"
