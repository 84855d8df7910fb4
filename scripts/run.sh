#!/usr/bin/env bash
# The run command: installs everything, builds the SPA, starts the API and the SPA together on
# embedded defaults (no PostgreSQL or Redis needed) and prints the URL to open.
# Set DATABASE_URL / REDIS_URL (see README) to use real servers instead.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
pnpm install --frozen-lockfile
pnpm build
exec pnpm start "$@"
