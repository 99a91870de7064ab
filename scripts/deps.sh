#!/usr/bin/env bash
# Installs what gcverify needs to build, from Debian's repositories, if missing.
# Idempotent: installs nothing when everything is present.
set -euo pipefail
packages=(g++ cmake ninja-build libboost-graph-dev libgtest-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
