#!/usr/bin/env bash
# `npm start`: install (first time), build, and serve the analyzer on localhost
# with the bundled demo recording opened.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm ci rejects this lock (npm 11 leaves other platforms' optional packages out of it here); install honours it.
  npm install --no-audit --no-fund
fi
npx vite build --logLevel warn
exec node bin/otpscope.mjs serve dist --open-demo --port "${PORT:-5173}"
