// Messages per rollout per destination type, over the sample rollouts, against Flagger's own
// notifier as the baseline; and Slack Web API calls per rollout for the live message, one event
// per invocation vs batches (coalesced redraws), for the samples and a burst of 20 canaries.
import type { SQSRecord } from 'aws-lambda';
import type { FlaggerEvent } from '../lib/event/event';
import { slackApiStandIn } from '../lib/local/slack-api';
import { envDestination } from '../lib/providers/destination';
import { slackApp } from '../lib/providers/slack-app';
import { replay } from '../lib/rollouts/replay';
import { dynamoRolloutStore } from '../lib/stores/rollouts';
import { startDynamo } from '../test/helpers/dynamo';
import { fixtures } from '../test/helpers/fixtures';
import { fakeRecord } from '../test/helpers/queues';
import { lambdaContext as ctx, workerFor } from '../test/helpers/worker';
import { type Row, row } from './stats';

const rollouts = replay(fixtures);
/**
 * What Flagger's built-in notifier would post for the same events (its `c.alert` calls, v1.44):
 * the start, initialization, each approval gate once, success, and each failure alert.
 */
function flaggerOwn(events: FlaggerEvent[]): number {
  const gates = new Set<string>();
  let n = 0;
  for (const e of events) {
    const m = e.metadata.eventMessage;
    const gate = m.match(/^Halt \S+ advancement waiting for (?:promotion )?approval (\S+)/)?.[1];
    if (gate && !gates.has(gate)) gates.add(gate);
    else if (gate) continue;
    if (
      gate ||
      /^(New revision detected!|Initialization done!|Promotion completed!|Rolling back |Promotion of \S+ failed)/.test(
        m,
      )
    )
      n++;
  }
  return n;
}
const sum = (f: (r: (typeof rollouts)[number]) => number) => rollouts.reduce((n, r) => n + f(r), 0);
const perRollout = (x: number) => x / rollouts.length;
const own = perRollout(sum((r) => flaggerOwn(r.events)));
const excess = Math.max(...rollouts.map((r) => r.milestones.length - flaggerOwn(r.events)));
const rows: Row[] = [
  row(
    `messages per rollout, events: all (${rollouts.length} sample rollouts) vs Flagger's notifier`,
    perRollout(sum((r) => r.events.length)),
    own,
    'msgs',
  ),
  row(
    'messages per rollout, milestones (webhook default) vs Flagger’s notifier',
    perRollout(sum((r) => r.milestones.length)),
    own,
    'msgs',
  ),
  row(
    'milestones over Flagger’s count in the worst sample rollout (target: at most 1 more)',
    Math.max(excess, 0.001),
    1,
    'msgs',
    1,
  ),
  row(
    'channel messages per rollout, Slack app live message vs Flagger’s notifier',
    perRollout(sum((r) => 1 + r.notes.filter((n) => n.broadcast).length)),
    own,
    'msgs',
  ),
  row('thread replies per rollout, Slack app', perRollout(sum((r) => r.notes.length)), own, 'msgs'),
];

// Slack Web API calls: a stand-in behind the real provider, rollout state in dynalite.
const db = await startDynamo();
let n = 0;
async function apiCalls(events: FlaggerEvent[], batch: number): Promise<number> {
  const api = slackApiStandIn();
  const store = dynamoRolloutStore(db.table, db.client);
  const name = `bench-${++n}`;
  const def = {
    ...envDestination(slackApp, { SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_CHANNEL_ID: api.channel }),
    name,
  };
  // The stand-in answers in process: the provider's fetch goes to a tiny loopback server.
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const out = api.handle((req.url ?? '').split('/').pop() ?? '', JSON.parse(body));
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sender = slackApp.create(
    { ...def, options: { ...def.options, apiUrl: `http://127.0.0.1:${port}/api` } },
    { deployed: false, extraAllowedHosts: [], store },
  );
  const handle = workerFor(slackApp, { name, sender, events: 'live' }, { store, timeoutMs: 5000 });
  const records: SQSRecord[] = events.map((e) => fakeRecord(e, `b${++n}`, name));
  for (let i = 0; i < records.length; i += batch) await handle({ Records: records.slice(i, i + batch) }, ctx);
  server.close();
  return api.calls.length;
}

const sample = rollouts.flatMap((r) => r.events);
const single = await apiCalls(sample, 1);
const batched = await apiCalls(sample, 10);
rows.push(
  row(
    `Slack API calls per rollout, batches of 10 vs one event per invocation`,
    batched / rollouts.length,
    single / rollouts.length,
    'calls',
  ),
);
// 20 canaries rolling out at once: podinfo's rollout under 20 names. A backlog comes out of SQS
// FIFO a message group at a time (up to 10 of one canary in a batch); arriving live, interleaved.
const podinfo = fixtures.filter((e) => e.name === 'podinfo');
const interleaved = podinfo.flatMap((e) =>
  Array.from({ length: 20 }, (_, i) => ({ ...e, name: `app-${i}` })),
);
const grouped = Array.from({ length: 20 }, (_, i) => podinfo.map((e) => ({ ...e, name: `app-${i}` }))).flat();
const burstSingle = await apiCalls(interleaved, 1);
rows.push(
  row(
    'Slack API calls per rollout, burst of 20 canaries as a backlog, batches of 10 vs one by one',
    (await apiCalls(grouped, 10)) / 20,
    burstSingle / 20,
    'calls',
  ),
  row(
    'Slack API calls per rollout, burst of 20 canaries interleaved, batches of 10 vs one by one',
    (await apiCalls(interleaved, 10)) / 20,
    burstSingle / 20,
    'calls',
  ),
);
await db.close();
console.log(JSON.stringify(rows));
