#!/usr/bin/env bash
# Syntax-checks the native addon against libtorch 2.x headers (Debian trixie's libtorch-dev,
# fetched into /tmp, nothing installed) and, when a CUDA toolkit's headers exist, the CUDA branch
# too (against 2.x and the installed 1.13). Run by hand when native/ changes; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TMPDIR:-/tmp}/gdt-libtorch-compat
mkdir -p "$work/lists" "$work/debs" "$work/root" "$work/stub/c10/cuda/impl"
echo "deb http://deb.debian.org/debian trixie main" >"$work/sources.list"
o=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists" -o APT::Architecture=amd64)
if [ ! -d "$work/root/usr/include/ATen" ]; then
  apt-get "${o[@]}" update -qq
  (cd "$work/debs" && apt-get "${o[@]}" download libtorch-dev)
  for f in "$work"/debs/*.deb; do dpkg -x "$f" "$work/root"; done
fi
# A CPU libtorch-dev lacks this generated header; the check only needs it to exist.
echo '#define C10_CUDA_BUILD_SHARED_LIBS' >"$work/stub/c10/cuda/impl/cuda_cmake_macros.h"
na=$(node -p "require('node-addon-api').include_dir")
R=$work/root/usr/include
common=(-std=c++17 -fsyntax-only -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -Wno-deprecated-declarations -I"$na" -I/usr/include/node)
for f in native/addon.cc native/convert.cc native/distributed.cc; do
  g++ "${common[@]}" -I"$R" -I"$R/torch/csrc/api/include" "$f"
  echo "ok: $f against libtorch $(grep -o 'VERSION_MINOR [0-9]*' "$R/torch/csrc/api/include/torch/version.h" | sed 's/VERSION_MINOR /2./') (CPU)"
done
cuda_inc=${CUDA_HOME:-/usr/local/cuda}/include
if [ -f "$cuda_inc/cuda_runtime_api.h" ]; then
  g++ "${common[@]}" -DGDT_WITH_CUDA=1 -I"$work/stub" -I"$R" -I"$R/torch/csrc/api/include" -I"$cuda_inc" native/addon.cc
  echo "ok: native/addon.cc against libtorch 2.x with CUDA"
  g++ "${common[@]}" -DGDT_WITH_CUDA=1 -I"$work/stub" -I/usr/include/torch/csrc/api/include -I"$cuda_inc" native/addon.cc
  echo "ok: native/addon.cc against libtorch 1.13 with CUDA"
fi
