#!/usr/bin/env bash
# Regenerates the README's screenshots from the preview page with headless Chromium
# (Debian: apt-get install chromium fonts-noto-color-emoji).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/img
for name in succeeded failed progress; do
  npm run --silent preview -- "events/ingest-$name.json" > /dev/null
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --hide-scrollbars --window-size=1110,360 \
    --screenshot="docs/img/$name.png" "file://$PWD/preview/ingest-$name.html" 2>/dev/null
  echo "docs/img/$name.png"
done
# The Slack app's live message for a whole rollout, with its thread.
npm run --silent preview -- --rollouts events/rollout-checkout.jsonl > /dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d)" --hide-scrollbars --window-size=1110,560 \
  --screenshot="docs/img/rollout.png" "file://$PWD/preview/rollout-checkout.html" 2>/dev/null
echo "docs/img/rollout.png"
# The local inbox after the demo (npm start with nothing configured: every provider's stand-in).
PORT=3989 SQS_PORT=0 node --import tsx scripts/local.ts > /dev/null 2>&1 &
pid=$!
sleep 5
PORT=3989 node --import tsx scripts/inbox-screenshot.ts
kill "$pid"
