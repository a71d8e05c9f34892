// `npm run demo`: replays the sample rollouts to the running `npm start`, timestamps rebased to
// now, one event a second, then runs a canary that waits for promotion approval (as Flagger
// would, asking /gate/check every 2 s for up to 5 minutes); watch and approve it in the inbox at
// http://127.0.0.1:${PORT:-3000}/.
import { resolve } from 'node:path';
import { runDemo } from '../lib/local/demo';

const port = process.env.PORT ?? '3000';
await runDemo(resolve(import.meta.dirname, '..'), `http://127.0.0.1:${port}`, {
  spacingMs: Number(process.env.DEMO_SPACING_MS ?? 1000),
  token: process.env.INGEST_TOKEN,
  gateIntervalMs: Number(process.env.DEMO_GATE_INTERVAL_MS ?? 2000),
  gateWaitMs: Number(process.env.DEMO_GATE_WAIT_SECONDS ?? 300) * 1000,
  say: (line) => console.log(line),
}).catch((err: Error) => {
  console.error(`demo: cannot reach npm start on port ${port}: ${err.message}`);
  process.exit(1);
});
