#!/usr/bin/env bash
# dist.sh OUT VERSION GOOS/GOARCH...: a release. For each target, a static
# binary (CGO_ENABLED=0, -trimpath, the version embedded as main.version)
# in OUT/topo-exclusions_VERSION_OS_ARCH/ with the README, archived beside
# it (.tar.gz; .zip for Windows); then OUT/SHA256SUMS of the archives, for
# 'sha256sum -c --ignore-missing SHA256SUMS'. GO names the go command.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 OUT VERSION GOOS/GOARCH..." >&2; exit 2; }
out=$1 version=$2
shift 2
go=${GO:-go}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/SHA256SUMS"

tarflags=()
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  # The same bytes for the same sources, whoever builds them.
  tarflags=(--owner=0 --group=0 --numeric-owner --sort=name --mtime=@0)
fi

archives=()
for target in "$@"; do
  os=${target%/*} arch=${target#*/}
  name=topo-exclusions_${version}_${os}_${arch}
  exe=topo-exclusions
  [ "$os" = windows ] && exe=topo-exclusions.exe
  rm -rf "${out:?}/$name"
  mkdir -p "$out/$name"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$go" build -trimpath \
    -ldflags "-s -w -X main.version=$version" -o "$out/$name/$exe" ./cmd/topo-exclusions
  cp README.md "$out/$name/"
  if [ "$os" = windows ]; then
    archive=$name.zip
    rm -f "$out/$archive"
    if command -v zip >/dev/null; then
      (cd "$out" && zip -qrX "$archive" "$name")
    else
      (cd "$out" && bsdtar -a -cf "$archive" "$name")
    fi
  else
    archive=$name.tar.gz
    tar "${tarflags[@]}" -C "$out" -czf "$out/$archive" "$name"
  fi
  archives+=("$archive")
  echo "dist: $out/$archive"
done

if command -v sha256sum >/dev/null; then
  (cd "$out" && sha256sum "${archives[@]}" >SHA256SUMS)
else
  (cd "$out" && shasum -a 256 "${archives[@]}" >SHA256SUMS)
fi
echo "dist: $out/SHA256SUMS"
