#!/usr/bin/env bash
# Install what Argos needs to build and test on Debian 12, then build it.
#
#   scripts/setup.sh            install missing packages, configure ./build, ninja
#
# Idempotent and quick when there is nothing to do: apt is skipped when every
# package is already installed, meson setup is skipped when ./build is
# configured, and ninja only rebuilds what changed.
# Run it as root (on a fresh machine), or as a user with sudo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  # build
  meson ninja-build pkg-config g++ git ca-certificates
  # libraries
  libpcap-dev libboost-dev libhwloc-dev libyaml-cpp-dev libgtest-dev
  dpdk-dev libdpdk-dev
  # fuzzing: clang + libFuzzer runtime (only a Recommends of clang), symbolizer
  clang libclang-rt-14-dev llvm
  # the reference Argus sensor and clients used by the parity tests
  argus-server argus-client
  # helpers used by the tests and scripts (valgrind: uninitialised output bytes;
  # procps: sysctl inside the test namespaces)
  tcpdump iproute2 procps python3 valgrind
)

log() { printf 'setup: %s\n' "$*" >&2; }

missing_packages() {
  # dpkg-query prints installed packages on stdout; unknown ones go to stderr.
  local installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null |
              awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }' || true)
  local p
  for p in "${PACKAGES[@]}"; do
    grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

install_packages() {
  local -a missing
  mapfile -t missing < <(missing_packages)
  if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#PACKAGES[@]} packages already installed"
    return 0
  fi
  log "installing: ${missing[*]}"

  local -a as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      as_root=(sudo)
    else
      log "missing packages and not root (no sudo either): ${missing[*]}"
      return 1
    fi
  fi

  # Installing argus-server would otherwise try to start the argus daemon.
  # A policy-rc.d that answers 101 ("action forbidden") stops that; it is only
  # in place for the duration of the install and only if there was none.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    made_policy=1
  fi

  local rc=0
  {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"
  } || rc=$?

  if [ "$made_policy" -eq 1 ]; then
    "${as_root[@]}" rm -f "$policy"
  fi
  if [ $rc -ne 0 ]; then
    log "apt-get failed (exit $rc)"
    return $rc
  fi
}

configure_and_build() {
  if [ -f build/build.ninja ]; then
    log "build/ already configured"     # ninja re-runs meson when needed
  elif [ -f build/meson-private/coredata.dat ]; then
    meson setup --reconfigure build
  else
    meson setup build                   # also retries a failed first setup
  fi
  ninja -C build
}

install_packages
configure_and_build
log "done: build/app/argos"
