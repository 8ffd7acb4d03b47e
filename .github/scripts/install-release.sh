#!/usr/bin/env bash
# Installs one binary from a pinned release download, checked against its SHA-256 before anything
# reads it: a .tar.gz or .zip archive holding BINARY at its top level, or the binary itself.
# The workflows call it for every tool they download (Trivy, OpenTofu, kubectl), with the
# version, URL and checksum written next to the call, so nothing unpinned ever runs.
#
# Usage: install-release.sh URL SHA256 BINARY
#   INSTALL_DIR  where BINARY goes (default: $RUNNER_TEMP/bin, else ~/.local/bin); added to
#                $GITHUB_PATH when that is set, so later steps find it.
set -euo pipefail

if (($# != 3)); then
  echo "install-release: usage: install-release.sh URL SHA256 BINARY" >&2
  exit 2
fi
url="$1" expected="$2" binary="$3"
if [[ ! "$expected" =~ ^[0-9a-f]{64}$ ]]; then
  echo "install-release: $binary: SHA256 must be 64 lower-case hex digits, got \"$expected\"" >&2
  exit 2
fi
install_dir="${INSTALL_DIR:-${RUNNER_TEMP:-$HOME/.local}/bin}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
download="$work/${url##*/}"
# https only (file: for the tests); no retries that could mask a changed artifact.
if ! curl --fail --silent --show-error --location --proto '=https,file' --output "$download" "$url"; then
  echo "install-release: $binary: download of $url failed" >&2
  exit 1
fi
actual="$(sha256sum "$download" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "install-release: $binary: $url has SHA-256 $actual, expected $expected; not installed" >&2
  exit 1
fi

case "$download" in
  *.tar.gz | *.tgz) tar -xzf "$download" -C "$work" "$binary" ;;
  *.zip) unzip -q -o "$download" "$binary" -d "$work" ;;
  *) [[ "${download##*/}" == "$binary" ]] || mv "$download" "$work/$binary" ;;
esac
mkdir -p "$install_dir"
install -m 0755 "$work/$binary" "$install_dir/$binary"
if [[ -n "${GITHUB_PATH:-}" ]]; then echo "$install_dir" >>"$GITHUB_PATH"; fi
echo "install-release: $binary from $url (sha256 $expected) installed in $install_dir"
