// `npm run demo`: replays the sample rollouts to the running `npm start`, timestamps rebased to
// now, one event a second; watch them in the inbox at http://127.0.0.1:${PORT:-3000}/.
import { resolve } from 'node:path';
import { replayDemo } from '../lib/local/demo';

const port = process.env.PORT ?? '3000';
const spacingMs = Number(process.env.DEMO_SPACING_MS ?? 1000);
const sent = await replayDemo(resolve(import.meta.dirname, '..'), `http://127.0.0.1:${port}/events`, {
  spacingMs,
  token: process.env.INGEST_TOKEN,
}).catch((err: Error) => {
  console.error(`demo: cannot reach npm start on port ${port}: ${err.message}`);
  process.exit(1);
});
console.log(
  `demo: ${sent} events sent to http://127.0.0.1:${port}/events; the inbox is at http://127.0.0.1:${port}/`,
);
