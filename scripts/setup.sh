#!/usr/bin/env bash
# Installs what gdt needs on Debian/Ubuntu (only what is missing), then builds gdt (`npm ci`:
# native addon + TypeScript). Safe to run again. Run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "gdt setup: run as root (or install sudo) so that missing Debian packages can be installed" >&2
    exit 1
  fi
fi

missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }
need_pkg libtorch-dev
need_pkg ffmpeg
# Debian's libtorch has Gloo compiled in but not its headers: the addon needs them for c10d.
need_pkg libgloo-dev
need_pkg g++
need_pkg make
# The report tests render report.html in headless Chromium (playwright-core driving /usr/bin/chromium);
# libopenh264-7 and libharfbuzz-subset0 are libraries chromium loads, named so that they come with it.
need_pkg chromium
need_pkg libopenh264-7
need_pkg libharfbuzz-subset0
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
# node-gyp builds against the running Node's headers; Debian's Node keeps them in libnode-dev.
node_prefix=$(dirname "$(dirname "$(command -v node 2>/dev/null || echo /usr/bin/node)")")
if [ ! -f "$node_prefix/include/node/node_api.h" ]; then need_pkg libnode-dev; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "gdt setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "gdt setup: Node.js >= 18.19 is needed, found $(node --version)" >&2
  exit 1
fi

echo "gdt setup: npm ci (builds the native addon and the TypeScript sources)"
npm ci --no-audit --no-fund --loglevel=error
