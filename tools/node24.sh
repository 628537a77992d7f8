#!/usr/bin/env bash
# Node.js 24 for this project without installing it by hand: the npm registry publishes the official Node.js
# builds as packages (node-<os>-<arch>, the binary the `node` package itself installs), so the npm that comes with
# any older Node.js can fetch one. Kept in ${NODE24_CACHE:-~/.cache/mysfits-node}, fetched once.
#
#   source tools/node24.sh          put Node.js 24 first on this shell's PATH (then npm ci, npm start, npm test)
#   bash tools/node24.sh CMD ARGS   run one command with it, e.g. `bash tools/node24.sh npm test`
#
# When the shell's `node` is already a Node.js 24 that engines accepts, it is used as it is and nothing is fetched.
# With the fetched one, npm is told where its C headers are (npm_config_nodedir: the package ships them), so the one
# native module that has no prebuilt binary for Node.js 24 (cdktf-cli's terminal, @cdktf/node-pty-prebuilt-multiarch)
# builds offline.
NODE24_VERSION=24.22.3
node24_guard="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)/node-version.cjs"

node24_bin_dir() {
  local os arch dir tmp
  # A `node` on the PATH that package.json's engines accepts (24.x, new enough) is used as it is.
  if node "$node24_guard" >/dev/null 2>&1; then dirname "$(command -v node)"; return 0; fi
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "node24: no Node.js package for $(uname -s); install Node.js 24 from nodejs.org" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "node24: no Node.js package for $(uname -m); install Node.js 24 from nodejs.org" >&2; return 1 ;;
  esac
  dir="${NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mysfits-node}/node-$os-$arch-$NODE24_VERSION"
  if [ ! -x "$dir/node_modules/.bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "node24: npm is needed to fetch Node.js $NODE24_VERSION" >&2; return 1; }
    echo "node24: fetching Node.js $NODE24_VERSION (node-$os-$arch) from the npm registry into $dir" >&2
    # Into a temporary folder first, renamed when complete: an interrupted fetch never leaves a broken node.
    tmp="$dir.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp" &&
      npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        "node-$os-$arch@$NODE24_VERSION" >&2 &&
      "$tmp/node_modules/.bin/node" --version >/dev/null &&
      rm -rf "$dir" && mv "$tmp" "$dir" ||
      { rm -rf "$tmp"; echo "node24: could not fetch Node.js $NODE24_VERSION" >&2; return 1; }
  fi
  echo "$dir/node_modules/.bin"
}

# The fetched package holds include/node beside bin/node; a Node.js already on PATH brings its own.
node24_headers() {
  local package modules
  modules="$(cd "$1/.." 2>/dev/null && pwd)" || return 0
  for package in "$modules"/node-*-*; do
    if [ -d "$package/include/node" ]; then export npm_config_nodedir="$package"; fi
  done
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: change this shell's PATH.
  if node24_dir=$(node24_bin_dir); then
    case ":$PATH:" in *":$node24_dir:"*) ;; *) export PATH="$node24_dir:$PATH" ;; esac
    node24_headers "$node24_dir"
    echo "node24: using $(node --version) from $(command -v node)" >&2
  fi
  unset node24_dir
else
  set -euo pipefail
  node24_dir=$(node24_bin_dir)
  export PATH="$node24_dir:$PATH"
  node24_headers "$node24_dir"
  if [ "$#" -eq 0 ]; then echo "$node24_dir"; else exec "$@"; fi
fi
