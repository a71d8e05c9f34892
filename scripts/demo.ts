// `npm run demo`: replays the sample rollouts to the running `npm start` (found as
// lib/ops/local-stack.ts says: PORT, else what npm start recorded here, else 3000), timestamps
// rebased to now, one event a second, then runs a canary that waits for promotion approval (as
// Flagger would, asking /gate/check every 2 s for up to DEMO_GATE_WAIT_SECONDS, 300).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runDemo } from '../lib/local/demo';
import { findLocalStack, unreachable } from '../lib/ops/local-stack';

// The same .env npm start reads: its INGEST_TOKEN, if it has one.
if (existsSync('.env')) process.loadEnvFile('.env');
const stack = findLocalStack(process.env);
await runDemo(resolve(import.meta.dirname, '..'), stack.api, {
  spacingMs: Number(process.env.DEMO_SPACING_MS ?? 1000),
  token: process.env.INGEST_TOKEN,
  gateIntervalMs: Number(process.env.DEMO_GATE_INTERVAL_MS ?? 2000),
  gateWaitMs: Number(process.env.DEMO_GATE_WAIT_SECONDS ?? 300) * 1000,
  say: (line) => console.log(line),
}).catch((err: Error & { cause?: Error }) => {
  // fetch's own failure (nothing listening) names the address to fix; anything else is the stack's answer.
  const refused = err.message === 'fetch failed';
  console.error(
    `demo: ${refused ? unreachable(stack, 'api', err.cause?.message ?? err.message) : err.message}`,
  );
  process.exit(1);
});
