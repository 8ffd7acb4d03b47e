#!/usr/bin/env bash
# Installs binaries from one pinned release download, checked against its SHA-256 before anything
# reads it: a .tar.gz or .zip archive, or the binary itself. The workflows call it for every tool
# they download (Trivy, OpenTofu, kubectl, the shipped Prometheus and Alertmanager releases),
# with the version, URL and checksum written next to the call, so nothing unpinned ever runs.
#
# Usage: install-release.sh URL SHA256 MEMBER [MEMBER...]
#   MEMBER   a path inside the archive; the file is installed under its base name. A `*` stands
#            for one folder name, e.g. '*/promtool' for the promtool inside the one top folder of
#            a Prometheus release tarball. A plain download takes exactly one MEMBER, its name.
#   INSTALL_DIR  where the binaries go (default: $RUNNER_TEMP/bin, else ~/.local/bin); added to
#                $GITHUB_PATH when that is set, so later steps find them first.
set -euo pipefail

if (($# < 3)); then
  echo "install-release: usage: install-release.sh URL SHA256 MEMBER [MEMBER...]" >&2
  exit 2
fi
url="$1" expected="$2"
shift 2
members=("$@")
names=()
for member in "${members[@]}"; do names+=("${member##*/}"); done
label="$(printf '%s, ' "${names[@]}")"
label="${label%, }"
if [[ ! "$expected" =~ ^[0-9a-f]{64}$ ]]; then
  echo "install-release: $label: SHA256 must be 64 lower-case hex digits, got \"$expected\"" >&2
  exit 2
fi
install_dir="${INSTALL_DIR:-${RUNNER_TEMP:-$HOME/.local}/bin}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
download="$work/${url##*/}"
# https only (file: for the tests); no retries that could mask a changed artifact.
if ! curl --fail --silent --show-error --location --proto '=https,file' --output "$download" "$url"; then
  echo "install-release: $label: download of $url failed" >&2
  exit 1
fi
actual="$(sha256sum "$download" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "install-release: $label: $url has SHA-256 $actual, expected $expected; not installed" >&2
  exit 1
fi

unpacked="$work/unpacked"
mkdir "$unpacked"
# Only the named members are unpacked; a member the archive lacks stops here with tar's or
# unzip's own first line.
case "$download" in
  *.tar.gz | *.tgz) unpack=(tar -xzf "$download" -C "$unpacked" --wildcards "${members[@]}") ;;
  *.zip) unpack=(unzip -q -o "$download" "${members[@]}" -d "$unpacked") ;;
  *)
    if ((${#members[@]} != 1)) || [[ "${members[0]}" == */* ]]; then
      echo "install-release: ${members[*]}: ${url##*/} is not an archive, so it is one binary: give its name alone" >&2
      exit 2
    fi
    unpack=(mv "$download" "$unpacked/${members[0]}")
    ;;
esac
if ! "${unpack[@]}" 2>"$work/unpack.log"; then
  echo "install-release: $label: not all in ${url##*/} ($(head -n 1 "$work/unpack.log"))" >&2
  exit 1
fi

mkdir -p "$install_dir"
for member in "${members[@]}"; do
  # The member's own pattern, expanded under the unpacked tree: exactly one file must match.
  shopt -s nullglob
  # shellcheck disable=SC2206 # the member is a pattern on purpose
  found=("$unpacked"/$member)
  shopt -u nullglob
  if ((${#found[@]} != 1)) || [[ ! -f "${found[0]}" ]]; then
    echo "install-release: $member: ${#found[@]} files in ${url##*/} match it, expected exactly one" >&2
    exit 1
  fi
  install -m 0755 "${found[0]}" "$install_dir/${member##*/}"
done
if [[ -n "${GITHUB_PATH:-}" ]]; then echo "$install_dir" >>"$GITHUB_PATH"; fi
echo "install-release: $label from $url (sha256 $expected) installed in $install_dir"
