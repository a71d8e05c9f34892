// A slow destination beside a healthy one of the same provider, across batches: (1) through
// `npm start`'s command (the local event source, maximumConcurrency 2, the real worker), a
// healthy destination's events one a second beside 0, 1 and 3 destinations answering in 8 s;
// (2) the deployed shape simulated at scale (bench/isolation-sim.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureLines } from '../test/helpers/fixtures';
import { startPipeline } from '../test/helpers/npm-start';
import { startReceiver } from '../test/helpers/receiver';
import { type SimMessage, simulate } from './isolation-sim';
import { percentile, type Row, row } from './stats';

const SLOW_MS = 8000;
const EVENTS = 10;
// Below this, a difference is the emulator's and the event loop's wake-up, not the slow destination.
const FLOOR_MS = 25;

async function run(slowCount: number): Promise<number[]> {
  const rx = await startReceiver((req, res) => {
    if (req.path.startsWith('/slow')) setTimeout(() => res.writeHead(200).end('ok'), SLOW_MS);
    else res.writeHead(200).end('ok');
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-isolation-'));
  const file = join(dir, 'routing.yaml');
  const slow = Array.from(
    { length: slowCount },
    (_, i) => `  slow${i}: { type: slack, url: "${rx.url(`/slow${i}`)}" }`,
  );
  writeFileSync(
    file,
    ['destinations:', `  healthy: { type: slack, url: "${rx.url('/healthy')}" }`, ...slow, ''].join('\n'),
  );
  const { child, url } = await startPipeline({
    CONFIG_FILE: file,
    EVENTS: 'all',
    MIN_INTERVAL_MS: '0',
    SLACK_WEBHOOK_URL: '',
    TEAMS_WEBHOOK_URL: '',
    // As before: the bench's own log level, and the workers' default backoff.
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    RETRY_BASE_SECONDS: '',
    RETRY_CAP_SECONDS: '',
  });
  const events = fixtureLines.filter((l) => l.includes('"podinfo"')).slice(0, EVENTS);
  const sent: number[] = [];
  for (const e of events) {
    sent.push(Date.now());
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: e });
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - (sent.at(-1) as number)))));
  }
  const healthy = () => rx.received.filter((r) => r.path === '/healthy');
  const deadline = Date.now() + 60_000;
  while (healthy().length < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const late = healthy().map((r, i) => r.at - (sent[i] as number));
  child.kill('SIGKILL');
  await rx.close();
  if (late.length < EVENTS)
    throw new Error(`only ${late.length}/${EVENTS} healthy deliveries with ${slowCount} slow`);
  return late;
}

const p50 = (xs: number[]) => Math.max(FLOOR_MS, percentile(xs, 50));
const alone = await run(0);
const rows: Row[] = [];
for (const n of [0, 1, 3]) {
  const beside = n === 0 ? await run(0) : await run(n);
  rows.push(
    row(
      `healthy destination's delivery p50 (floor ${FLOOR_MS} ms; measured ${percentile(beside, 50)} vs ${percentile(alone, 50)} ms, max ${Math.max(...beside)} ms), ${EVENTS} events a second apart through npm start (maximumConcurrency 2), beside ${n} destination${n === 1 ? '' : 's'} answering in ${SLOW_MS / 1000} s, vs alone`,
      p50(beside),
      p50(alone),
      'ms',
      1.2,
    ),
  );
}

// 50 canaries × 2 destinations (one answering in 8 s, one in 100 ms), each canary an event every
// 30 s for five minutes (Flagger's analysis interval), phases spread: the healthy destination's
// p99 with lib/delivery/busy.ts and with records deleted only at the batch's end.
const messages: SimMessage[] = [];
for (let c = 0; c < 50; c++)
  for (let k = 0; k < 10; k++) {
    const at = k * 30_000 + ((c * 613) % 30_000);
    messages.push({ group: `healthy/${c}`, at, serviceMs: 100, healthy: true });
    messages.push({ group: `slow/${c}`, at, serviceMs: SLOW_MS, healthy: false });
  }
for (const m of [2, 5]) {
  const busy = simulate(messages, { maximumConcurrency: m, design: 'busy' });
  const before = simulate(messages, { maximumConcurrency: m, design: 'batch-end' });
  rows.push(
    row(
      `simulated deployed shape, 50 canaries × 2 destinations (one answering in 8 s), an event per canary every 30 s, maximumConcurrency ${m}: healthy p99, this worker vs deleting at the batch's end (invocations ${busy.invocations} vs ${before.invocations}, receives ${busy.receives} vs ${before.receives})`,
      percentile(busy.latencies, 99),
      percentile(before.latencies, 99),
      'ms',
    ),
  );
}
console.log(JSON.stringify(rows));
