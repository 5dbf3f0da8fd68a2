#!/bin/sh
# Install clusterup from a release: pick this machine's build, download it, verify its SHA-256 checksum,
# install the binary.
#
#   curl -fsSL https://github.com/clusterup/clusterup/releases/latest/download/install.sh | sh
#   sh install.sh --version 0.2.0 --to ~/bin
#
# Options:
#   --version X     install release X (default: the latest)
#   --to DIR        install into DIR (default: ~/.local/bin)
#   --target T      the build to install, a Rust target such as aarch64-unknown-linux-musl (default: this
#                   machine's, as --print-target shows)
#   --print-target  print this machine's target and exit
#
# CLUSTERUP_DOWNLOAD_URL replaces the release's download address: a mirror, or a local directory that
# holds the release's files (the tests install from one).
set -eu

repository="clusterup/clusterup"
version=""
to="${HOME:-.}/.local/bin"
target=""

say() { printf 'install: %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}

usage() {
  cat >&2 <<'EOF2'
usage: install.sh [--version X] [--to DIR] [--target T] [--print-target]
  --version X     install release X (default: the latest)
  --to DIR        install into DIR (default: ~/.local/bin)
  --target T      the build to install, e.g. aarch64-unknown-linux-musl (default: this machine's)
  --print-target  print this machine's target and exit
EOF2
  exit "$1"
}

detect_target() {
  os="$(uname -s)"
  machine="$(uname -m)"
  case "$machine" in
    x86_64 | amd64) arch="x86_64" ;;
    aarch64 | arm64) arch="aarch64" ;;
    *) fail "no release build for the $machine processor; build from source: cargo install --locked clusterup" ;;
  esac
  case "$os" in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    *) fail "no release build for $os here; on Windows download clusterup-x86_64-pc-windows-msvc.zip from the release page, elsewhere build from source: cargo install --locked clusterup" ;;
  esac
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --version)
      [ "$#" -ge 2 ] || fail "--version needs a version, e.g. --version 0.2.0"
      version="${2#v}"
      shift 2
      ;;
    --to)
      [ "$#" -ge 2 ] || fail "--to needs a directory"
      to="$2"
      shift 2
      ;;
    --target)
      [ "$#" -ge 2 ] || fail "--target needs a target such as x86_64-unknown-linux-musl"
      target="$2"
      shift 2
      ;;
    --print-target)
      detect_target
      exit 0
      ;;
    -h | --help) usage 0 ;;
    *)
      say "unknown option: $1"
      usage 2
      ;;
  esac
done

[ -n "$target" ] || target="$(detect_target)"
archive="clusterup-$target.tar.gz"

if [ -n "${CLUSTERUP_DOWNLOAD_URL:-}" ]; then
  base="$CLUSTERUP_DOWNLOAD_URL"
elif [ -n "$version" ]; then
  base="https://github.com/$repository/releases/download/v$version"
else
  base="https://github.com/$repository/releases/latest/download"
fi

# A local directory (or file:// URL) is copied; anything else is downloaded.
fetch() {
  case "$base" in
    http://* | https://*)
      if command -v curl >/dev/null 2>&1; then
        curl --proto '=https,http' -fsSL -o "$2" "$base/$1"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$base/$1"
      else
        fail "neither curl nor wget is installed; install one of them and run this again"
      fi
      ;;
    file://*) cp "${base#file://}/$1" "$2" ;;
    *) cp "$base/$1" "$2" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "neither sha256sum nor shasum is installed, so the download cannot be verified"
  fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM

say "downloading $archive from $base"
fetch "$archive" "$work/$archive" || fail "could not download $base/$archive (is there a release for $target?)"
fetch "$archive.sha256" "$work/$archive.sha256" || fail "could not download the checksum $base/$archive.sha256"

expected="$(cut -d' ' -f1 <"$work/$archive.sha256")"
actual="$(sha256 "$work/$archive")"
if [ "$expected" != "$actual" ]; then
  fail "checksum mismatch for $archive: expected $expected, got $actual; nothing was installed (download again, or report it)"
fi

mkdir -p "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked"
[ -f "$work/unpacked/clusterup" ] || fail "$archive holds no clusterup binary"
mkdir -p "$to"
# Install under a temporary name, then rename: a running clusterup is never overwritten in place.
cp "$work/unpacked/clusterup" "$to/.clusterup.new"
chmod 755 "$to/.clusterup.new"
mv -f "$to/.clusterup.new" "$to/clusterup"

say "installed $("$to/clusterup" --version) as $to/clusterup"
case ":${PATH:-}:" in
  *":$to:"*) ;;
  *) say "$to is not on your PATH; add it, e.g. export PATH=\"$to:\$PATH\"" ;;
esac
