#!/usr/bin/env bash
# Installs everything valkey-cpp needs to build, test and benchmark on Debian 12
# (bookworm): Bazel 4.2.3, the dependency libraries, the upstream sources of
# Abseil / GoogleTest / Google Benchmark (built by Bazel, see bazel/README.md),
# and valkey-server / valkey-sentinel / valkey-tools from bookworm-backports.
#
# Idempotent: a second run only checks. Works as root or through sudo. Fails
# loudly, naming the package, when something cannot be installed.
set -euo pipefail

# Where the upstream source trees live. WORKSPACE points here; keep in sync
# with bazel/deps_dir.bzl.
DEPS_DIR="${VALKEY_CPP_DEPS_DIR:-/opt/valkey-cpp-deps}"

if [[ "$(id -u)" -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

die() { echo "tools/setup.sh: $*" >&2; exit 1; }

[[ -r /etc/os-release ]] && . /etc/os-release
[[ "${VERSION_CODENAME:-}" == "bookworm" ]] ||
  echo "tools/setup.sh: warning: tested on Debian 12 (bookworm), this is '${VERSION_CODENAME:-unknown}'" >&2

# The archive this machine already uses for bookworm; backports and source
# entries are added for the same archive.
archive_uri() {
  local uri=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
  fi
  [[ -n "$uri" ]] || die "cannot find the Debian archive for bookworm in /etc/apt sources"
  echo "$uri"
}

LIST=/etc/apt/sources.list.d/valkey-cpp.sources
need_update=0
if [[ ! -f "$LIST" ]]; then
  uri=$(archive_uri)
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$uri" | "${SUDO[@]}" tee "$LIST" >/dev/null
  need_update=1
fi

PACKAGES=(
  g++ pkg-config openssl ca-certificates python3
  bazel-bootstrap bazel-rules-java bazel-skylib bazel-platforms
  android-libboringssl-dev
  libprotobuf-dev protobuf-compiler
  libhiredis-dev
)
BACKPORTS=(valkey-server valkey-sentinel valkey-tools)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
bp_missing=()
for p in "${BACKPORTS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || bp_missing+=("$p")
done

if (( ${#missing[@]} || ${#bp_missing[@]} )) || (( need_update )); then
  "${SUDO[@]}" apt-get update -q || die "apt-get update failed"
fi
install() {
  local p
  if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@"; then
    for p in "$@"; do
      [[ "$p" == -* ]] && continue
      apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' ||
        die "package '$p' is not available from the configured archives"
    done
    die "apt-get install failed for: $*"
  fi
}
(( ${#missing[@]} )) && install "${missing[@]}"
(( ${#bp_missing[@]} )) && install -t bookworm-backports "${bp_missing[@]}"

# Debian's bazel-bootstrap is Bazel 4.2.3 built from source, installed as
# /usr/bin/bazel-4; the /usr/bin/bazel wrapper looks for the version that
# .bazelversion names.
if [[ ! -e /usr/bin/bazel-4.2.3 ]]; then
  [[ -x /usr/bin/bazel-4 ]] || die "/usr/bin/bazel-4 missing (package bazel-bootstrap)"
  "${SUDO[@]}" ln -s bazel-4 /usr/bin/bazel-4.2.3
fi

for bin in bazel protoc valkey-server valkey-sentinel valkey-cli openssl; do
  command -v "$bin" >/dev/null || die "'$bin' is still missing after installing packages"
done
[[ -f /usr/include/android/openssl/ssl.h ]] || die "BoringSSL headers missing (package android-libboringssl-dev)"
[[ -f /usr/include/hiredis/hiredis.h ]] || die "hiredis headers missing (package libhiredis-dev)"

# Upstream sources from Debian's source packages: Bazel builds them with their
# own BUILD files, which gives the exact upstream labels and lets sanitizers
# (TSan in particular) instrument them.
fetch_source() {  # <source package> <version> <top dir inside the orig tarball>
  local pkg=$1 version=$2 top=$3
  [[ -f "$DEPS_DIR/$top/.complete" ]] && return 0
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source --download-only "$pkg=$version" >/dev/null 2>&1) ||
    (cd "$tmp" && apt-get source --download-only "$pkg" >/dev/null 2>&1) ||
    die "cannot download the Debian source package '$pkg' (needs the deb-src entry in $LIST)"
  local tarball
  tarball=$(ls "$tmp"/*.orig.tar.* 2>/dev/null | head -n1)
  [[ -n "$tarball" ]] || die "source package '$pkg' has no .orig tarball"
  "${SUDO[@]}" mkdir -p "$DEPS_DIR"
  "${SUDO[@]}" rm -rf "$DEPS_DIR/$top"
  "${SUDO[@]}" tar -xf "$tarball" -C "$DEPS_DIR"
  [[ -d "$DEPS_DIR/$top" ]] || die "source package '$pkg' did not unpack to $DEPS_DIR/$top"
  "${SUDO[@]}" touch "$DEPS_DIR/$top/.complete"
  rm -rf "$tmp"
}
fetch_source abseil 20220623.1-1+deb12u2 abseil-20220623.1
fetch_source googletest 1.12.1-0.2 googletest-release-1.12.1
fetch_source benchmark 1.7.1-1 benchmark-1.7.1

echo "tools/setup.sh: ok (valkey-server $(valkey-server --version | awk '{print $3}' | sed 's/^v=//'), sources in $DEPS_DIR)"
