#!/usr/bin/env bash
# The test command: installs everything from scratch (Node 24 and pnpm if missing, packages,
# Debian's chromium for the browser tests and nginx for the web server's), migrates the database, then runs every check:
# lint, typecheck, unit + integration tests on the real PostgreSQL and Redis, and the Playwright
# end-to-end tests in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

pnpm install --frozen-lockfile

if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "test: installing Debian's chromium for Playwright ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# The SPA's production web server, which apps/api/test/web-server.test.ts runs in front of the API.
if [ ! -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "test: installing Debian's nginx and its brotli modules ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    nginx libnginx-mod-http-brotli-static libnginx-mod-http-brotli-filter >/dev/null
fi

pnpm db:migrate
pnpm test
