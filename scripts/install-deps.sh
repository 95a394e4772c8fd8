#!/usr/bin/env bash
# Installs every build and test dependency of mapengine from Debian's packages.
# Idempotent: when everything is present it only checks, which takes a second.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libpq-dev libyaml-cpp-dev libfmt-dev libspdlog-dev catch2 libcli11-dev
  nlohmann-json3-dev libvalijson-dev libre2-dev libssl-dev libhowardhinnant-date-dev libabsl-dev
  tzdata postgresql-15 postgresql-contrib pgbouncer openssl clang libclang-rt-14-dev
  procps util-linux bc time tmux
  help2man debootstrap
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# The Debian postgresql package creates and starts a default cluster; tests never use it.
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
