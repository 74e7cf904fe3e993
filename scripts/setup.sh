#!/usr/bin/env bash
# Installs everything Parley needs on a fresh Debian 12 machine, then builds it into build/.
#   ./scripts/setup.sh            (as root, or as a user with sudo)
# Only Debian's package archive and the npm registry are used.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev libdnnl-dev
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev ffmpeg
  libfftw3-dev libsentencepiece-dev libzip-dev libicu-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev libssl-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  chromium wrk python3
  nginx-light openssl curl systemd
)
# Node.js for the browser and HTTP-client tests; npm comes with some Node.js builds, else from Debian.
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -f tests/web/package.json ]; then
  echo "== installing browser and client test tools (npm)"
  (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== building"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
echo "== built: build/parley"
