// What a Flagger user pays per event: the sample rollouts, one event at a time (Flagger's events
// are minutes apart, so every batch is of one), through the whole local pipeline to two
// destinations, counting every SQS and DynamoDB request at the emulators; then the bill per
// million events from those counts (bench/cost.ts). One child process per mode: the handlers
// read their configuration once, at import.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { deliveries } from '../lib/delivery/http';
import { canaryKey, canaryRef } from '../lib/event/event';
import { startPipeline } from '../lib/local/pipeline';
import { STAND_INS } from '../lib/local/stand-ins';
import { type Rollout, reduce } from '../lib/rollouts/tracker';
import { fixtures } from '../test/helpers/fixtures';
import { billPerMillion, idleMonthly, type Usage } from './cost';
import { type Counts, countingEmulators } from './counting';
import { info, type Row, targetRow } from './stats';

type Mode = 'all' | 'milestones' | 'live' | 'one';
const MODES: Mode[] = ['all', 'milestones', 'live', 'one'];
const DESTINATIONS: Record<Mode, string> = {
  all: 'Slack and Teams webhooks',
  milestones: 'Slack and Teams webhooks',
  live: 'the Slack app and Discord',
  one: 'one Slack webhook',
};
/** `one`: the smallest deploy, milestones to a single channel. */
const eventsOf = (m: Mode) => (m === 'one' ? 'milestones' : m);

interface Measured extends Counts {
  events: number;
  queued: number;
  platformCalls: number;
  invocations: number;
  logBytes: number;
}

/** The sample's rollouts, as the tracker counts them: each canary's events replayed in order. */
const ROLLOUTS = (() => {
  const byCanary = new Map<string, typeof fixtures>();
  for (const e of fixtures)
    byCanary.set(canaryKey(canaryRef(e)), [...(byCanary.get(canaryKey(canaryRef(e))) ?? []), e]);
  let n = 0;
  for (const events of byCanary.values()) {
    let r: Rollout | undefined;
    for (const e of [...events].sort((a, b) => Number(a.metadata.timestamp) - Number(b.metadata.timestamp))) {
      const step = reduce(r, e);
      if (step.started) n++;
      r = step.rollout;
    }
  }
  return n;
})();

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

async function measure(mode: Mode): Promise<Measured> {
  const region = 'us-east-1';
  const emulators = await countingEmulators(region);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/inbox`;
  Object.assign(process.env, {
    PORT: String(port),
    SQS_ENDPOINT: emulators.sqsEndpoint,
    DYNAMODB_ENDPOINT: emulators.dynamoEndpoint,
    AWS_REGION: region,
    MIN_INTERVAL_MS: '0',
    EVENTS: eventsOf(mode),
    // Metrics on, as deployed: their EMF lines are part of the log bill.
    POWERTOOLS_METRICS_DISABLED: 'false',
    ...(mode === 'live'
      ? { ...STAND_INS['slack-app'].env(base), ...STAND_INS.discord.env(base) }
      : mode === 'one'
        ? STAND_INS.slack.env(base)
        : { ...STAND_INS.slack.env(base), ...STAND_INS.teams.env(base) }),
  });
  // Every log line a deployed function would write is counted (CloudWatch bills by the byte).
  let logBytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logBytes += Buffer.byteLength(chunk);
    return true;
  }) as typeof process.stdout.write;
  const pipeline = await startPipeline(process.cwd(), { log: () => {} });
  let platformCalls = 0;
  const counted = () => {
    platformCalls++;
  };
  deliveries.subscribe(counted);
  emulators.reset();
  logBytes = 0;
  const settle = async () => {
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 25));
      if ((await pipeline.backlog()) === 0) return;
    }
    throw new Error('the pipeline did not drain');
  };
  for (const e of fixtures) {
    const res = await fetch(pipeline.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(e),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
    await settle();
  }
  await new Promise((r) => setTimeout(r, 200));
  deliveries.unsubscribe(counted);
  const counts = structuredClone(emulators.counts);
  const measuredLogBytes = logBytes;
  process.stdout.write = write;
  await pipeline.stop();
  await emulators.close();
  // The bench's own backlog checks are not the relay's requests.
  delete counts.requests['sqs:GetQueueAttributes'];
  return {
    ...counts,
    events: fixtures.length,
    queued: counts.requests['sqs:SendMessage'] ?? 0,
    platformCalls,
    invocations: counts.requests['sqs:ReceiveMessage'] ?? 0,
    logBytes: measuredLogBytes,
  };
}

const sum = (r: Record<string, number>, re: RegExp) =>
  Object.entries(r)
    .filter(([k]) => re.test(k))
    .reduce((a, [, v]) => a + v, 0);

if (process.env.BENCH_MODE) {
  const m = await measure(process.env.BENCH_MODE as Mode);
  console.log(JSON.stringify(m));
  process.exit(0);
}

const rows: Row[] = [];
const bills: string[] = [];
for (const mode of MODES) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename], {
    env: { ...process.env, BENCH_MODE: mode, POWERTOOLS_LOG_LEVEL: 'INFO' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  const m = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Measured;
  const q = m.queued;
  const writes =
    sum(m.requests, /^dynamodb:(Put|Update|Delete|BatchWrite)Item$/) + sum(m.requests, /condition failed/);
  const reads = sum(m.requests, /^dynamodb:(Get|BatchGet)Item$|^dynamodb:Query$/);
  const sqs = sum(m.requests, /^sqs:/) - (m.requests['sqs:ReceiveMessage (empty)'] ?? 0);
  const tag = `events: ${eventsOf(mode)} (${m.events} sample events to ${DESTINATIONS[mode]}, one at a time)`;
  const perMessage = `per queued message (one event at one destination), ${tag}`;
  // The delivery's own record (once-only, or the rollout's) apart from the rollout pages' stories.
  const own = sum(m.requests, /^dynamodb\.item:(Put|Update)Item (once|rollout)/);
  const pages = sum(m.requests, /^dynamodb\.item:(Put|Update)Item (story|results)/);
  // The fleet index: at most one write per rollout, however many events it has (docs/fleet.md).
  const fleetWrites = sum(m.requests, /^dynamodb\.item:(Put|Update)Item fleet/);
  rows.push(
    targetRow(`DynamoDB writes of the delivery's own record ${perMessage}`, own / q, 'writes', 1),
    info(
      `DynamoDB writes in all ${perMessage}`,
      `${(writes / q).toFixed(2)} (rollout pages: ${(pages / q).toFixed(2)}, a lost race between two invocations included)`,
    ),
    targetRow(
      `DynamoDB writes of the fleet index per rollout, ${tag} (${ROLLOUTS} rollouts)`,
      fleetWrites / ROLLOUTS,
      'writes',
      1,
    ),
    info(
      `DynamoDB reads / capacity units ${perMessage}`,
      `${(reads / q).toFixed(2)} reads; ${(m.writeUnits / q).toFixed(2)} WRU, ${(m.readUnits / q).toFixed(2)} RRU`,
    ),
    info(`SQS requests ${perMessage}`, `${(sqs / q).toFixed(2)} (${describe(m.requests, /^sqs:/, q)})`),
  );
  const usage: Usage = {
    events: m.events,
    sqsRequests: sqs,
    workerInvocations: m.invocations,
    platformCalls: m.platformCalls,
    dynamoRequests: reads + writes,
    writeUnits: m.writeUnits,
    readUnits: m.readUnits,
    logBytes: m.logBytes,
  };
  const bill = billPerMillion(usage);
  const lines = bill.lines.map(([k, v]) => `${k} $${v.toFixed(2)}`).join(', ');
  bills.push(`${mode}: ${lines}`);
  rows.push(
    mode === 'milestones'
      ? targetRow(`cost per million events, ${tag}, rollout pages on: the default mode`, bill.total, '$', 5)
      : info(`cost per million events, ${tag}`, `$${bill.total.toFixed(2)}`),
    info(`— by line (bench/cost.ts), ${tag}`, lines),
  );
}
rows.push(
  targetRow(
    'idle cost a month, default deploy (2 providers), from the model in bench/cost.ts',
    idleMonthly(2),
    '$',
    1,
  ),
);
process.stderr.write(`${bills.join('\n')}\n`);
console.log(JSON.stringify(rows));

function describe(r: Record<string, number>, re: RegExp, q: number) {
  return Object.entries(r)
    .filter(([k]) => re.test(k) && !k.includes('(empty)'))
    .map(([k, v]) => `${k.split(':')[1]} ${(v / q).toFixed(2)}`)
    .join(', ');
}
