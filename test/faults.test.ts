import type { ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FlaggerEvent } from '../lib/event/event';
import { type Pipeline, startPipeline } from '../lib/local/pipeline';
import type { SqsHandler } from '../lib/local/poller';
import { main as cli } from '../lib/ops/cli';
import { fixtures } from './helpers/fixtures';
import { type Received, type Receiver, startReceiver } from './helpers/receiver';

// Handlers log for real here (the suite default is silent) so a test can check no secret is in
// the logs; Powertools reads the level once, when lib/log is first imported.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

/**
 * Fault injection through the whole local pipeline: fake Slack and Teams misbehave per scenario
 * (each scenario is its own canary, so they cannot mix) and every event must end up delivered or
 * dead-lettered with the right reason, in per-canary order, none lost.
 */
type Fault = (attempt: number) =>
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'hang'
  | 'reset'
  // The platform posts the message, then the connection dies before its answer reaches the worker.
  | 'posted-then-reset';

interface Scenario {
  name: string;
  fault: Fault;
  /** Events expected in the DLQ (per channel) and the text their reason must contain. */
  deadLetters?: { count: number; reason: string };
  /** Posts the platform shows twice (per channel): the window no relay can close. */
  duplicates?: number;
}

const ok: ReturnType<Fault> = { status: 200, body: 'ok' };
const scenarios: Scenario[] = [
  { name: 'http-500-for-a-while', fault: (n) => (n <= 3 ? { status: 500, body: 'rollup_error' } : ok) },
  {
    name: 'http-429-retry-after',
    fault: (n) => (n === 1 ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } } : ok),
  },
  { name: 'hang-past-timeout', fault: (n) => (n === 1 ? 'hang' : ok) },
  { name: 'connection-reset', fault: (n) => (n <= 2 ? 'reset' : ok) },
  {
    name: 'invalid-payload-400',
    fault: () => ({ status: 400, body: 'invalid_payload' }),
    deadLetters: { count: 4, reason: 'answered 400: invalid_payload' },
  },
  {
    name: 'no-service-404',
    fault: () => ({ status: 404, body: 'no_service' }),
    deadLetters: { count: 4, reason: 'answered 404: no_service' },
  },
  { name: 'worker-crash-mid-batch', fault: () => ok },
  // A crash (or a lost connection, or a timeout) after the platform has the message but before the
  // worker has its answer: nothing on the worker's side can tell "posted" from "not posted", so the
  // retry posts it again. docs/delivery.md names this window.
  { name: 'crash-during-post', fault: (n) => (n === 1 ? 'posted-then-reset' : ok), duplicates: 1 },
];
const EVENTS_PER_SCENARIO = 4;
const TOKEN = 'faults-token-0123456789abcdef';
const logs: string[] = [];

interface Attempt {
  scenario: string;
  key: string;
  answered: number | 'hang' | 'reset';
  at: number;
}

function fakeWebhook(channel: string, log: Attempt[]) {
  const counts = new Map<string, number>();
  return (req: Received, res: ServerResponse) => {
    const text = req.body;
    const scenario = scenarios.find((s) => text.includes(`${s.name}.faults`));
    const key = text.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/)?.[0] ?? '?';
    if (!scenario) {
      res.writeHead(200);
      return res.end('ok');
    }
    const n = (counts.get(`${channel}/${scenario.name}`) ?? 0) + 1;
    counts.set(`${channel}/${scenario.name}`, n);
    const answer = scenario.fault(n);
    log.push({
      scenario: scenario.name,
      key,
      answered: answer === 'posted-then-reset' ? 200 : typeof answer === 'string' ? answer : answer.status,
      at: Date.now(),
    });
    if (answer === 'hang') return;
    if (answer === 'reset' || answer === 'posted-then-reset') return res.socket?.resetAndDestroy();
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body ?? '');
  };
}

const eventsFor = (scenario: string): FlaggerEvent[] =>
  (fixtures.filter((e) => e.name === 'podinfo').slice(0, EVENTS_PER_SCENARIO) as FlaggerEvent[]).map((e) => ({
    ...e,
    name: scenario,
    namespace: 'faults',
  }));
// The event's time to the second: Slack shows it as an ISO time, Teams in DATE()/TIME() (no ms).
const keyOf = (e: FlaggerEvent) => new Date(Number(e.metadata.timestamp)).toISOString().slice(0, 19);

describe('fault injection through the local pipeline', () => {
  const log: Record<string, Attempt[]> = { slack: [], teams: [] };
  const receivers: Record<string, Receiver> = {};
  let pipeline: Pipeline;
  const crashed = new Set<string>();
  const rows: Record<string, string | number>[] = [];

  beforeAll(async () => {
    for (const ch of ['slack', 'teams'])
      receivers[ch] = await startReceiver(fakeWebhook(ch, log[ch] as Attempt[]));
    Object.assign(process.env, {
      PORT: '0',
      SQS_PORT: '0',
      SLACK_WEBHOOK_URL: receivers.slack?.url('/services/SECRET'),
      TEAMS_WEBHOOK_URL: receivers.teams?.url('/workflows/SECRET'),
      DELIVERY_TIMEOUT_MS: '500',
      MIN_INTERVAL_MS: '10',
      // Every event, not milestones: the suite counts each one through.
      EVENTS: 'all',
      RETRY_BASE_SECONDS: '1',
      RETRY_CAP_SECONDS: '1',
      LOCAL_MAX_RECEIVE_COUNT: '6',
      // A crashed invocation changes no visibility: its batch returns after this timeout.
      LOCAL_VISIBILITY_TIMEOUT: '2',
      INGEST_TOKEN: TOKEN,
    });
    // Handler log lines (info to stdout, warnings to stderr) are kept for the secrets check, not
    // printed over the table.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        const line = String(chunk);
        if (!line.startsWith('{"level"')) return write(chunk, ...rest);
        logs.push(line);
        return true;
      }) as typeof stream.write;
    }
    // Crash: once per channel, deliver the first half of a batch holding the crash scenario (at
    // least one record; the emulator often hands FIFO batches of one), then die before answering.
    const wrapWorker =
      (channel: string, handler: SqsHandler): SqsHandler =>
      async (event: SQSEvent, ctx: Context) => {
        const hit = event.Records.some((r) => r.body.includes('worker-crash-mid-batch'));
        if (hit && !crashed.has(channel)) {
          crashed.add(channel);
          await handler({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) }, ctx);
          throw new Error('simulated worker crash');
        }
        return handler(event, ctx);
      };
    pipeline = await startPipeline(resolve(import.meta.dirname, '..'), { log: () => {}, wrapWorker });
  });

  afterAll(async () => {
    await pipeline?.stop();
    for (const r of Object.values(receivers)) await r.close();
    console.table(rows);
  });

  /** Flagger's POSTs, one after another, each accepted. */
  async function postAll(events: readonly unknown[]) {
    for (const e of events) {
      const res = await fetch(`${pipeline.ingestUrl}?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(e),
      });
      expect(res.status).toBe(202);
    }
  }

  /** `flagger-notify dlq list <channel>`: its text and the DLQ's total. */
  async function deadLetters(channel: string) {
    const out: string[] = [];
    const env = { SQS_PORT: new URL(pipeline.sqsEndpoint).port };
    await cli(['dlq', 'list', channel], { out: (l) => out.push(l), err: (l) => out.push(l), env });
    const text = out.join('\n');
    return { text, total: Number(text.match(/: (\d+) dead letters?/)?.[1] ?? Number.NaN) };
  }

  for (const s of scenarios) {
    it(`${s.name}: every event delivered or dead-lettered, in order, none lost`, async () => {
      const events = eventsFor(s.name);
      // Scenarios run one after another, so a DLQ's growth during one belongs to it.
      const deadBefore = {
        slack: (await deadLetters('slack')).total,
        teams: (await deadLetters('teams')).total,
      };
      // The crash scenario's events go in one burst so the worker sees them in one batch.
      await postAll(events);
      const keys = events.map(keyOf);
      const expectDead = s.deadLetters?.count ?? 0;
      const settled = (ch: string) => {
        const mine = (log[ch] as Attempt[]).filter((a) => a.scenario === s.name);
        const delivered = new Set(mine.filter((a) => a.answered === 200).map((a) => a.key));
        const crashRedelivered = s.name !== 'worker-crash-mid-batch' || mine.length > keys.length;
        return (
          crashRedelivered &&
          delivered.size + (expectDead ? new Set(mine.map((a) => a.key)).size : 0) >= keys.length
        );
      };
      const deadline = Date.now() + 25_000;
      while (Date.now() < deadline && !(settled('slack') && settled('teams')))
        await new Promise((r) => setTimeout(r, 50));

      for (const ch of ['slack', 'teams']) {
        const mine = (log[ch] as Attempt[]).filter((a) => a.scenario === s.name);
        const okKeys = mine.filter((a) => a.answered === 200).map((a) => a.key);
        const firstOk = [...new Set(okKeys)];
        const dlq = await deadLetters(ch);
        const row = {
          scenario: s.name,
          channel: ch,
          sent: keys.length,
          delivered: firstOk.length,
          'dead-lettered': dlq.total - deadBefore[ch as 'slack' | 'teams'],
          duplicates: okKeys.length - firstOk.length,
          lost: 0,
          attempts: mine.length,
        };
        row.lost = row.sent - row.delivered - row['dead-lettered'];
        rows.push(row);

        expect(row.lost, `${ch}: lost`).toBe(0);
        // Per-canary order: first successful deliveries follow the order the events were sent.
        expect(firstOk).toEqual(keys.filter((k) => firstOk.includes(k)));
        expect(row['dead-lettered']).toBe(expectDead);
        if (expectDead) {
          expect(dlq.text).toContain(`${s.name}.faults`);
          expect(dlq.text).toContain(s.deadLetters?.reason);
          // Permanent errors are not retried: one attempt per event.
          expect(mine.map((a) => a.key)).toEqual(keys);
        } else {
          expect(firstOk).toEqual(keys);
        }
        if (s.name === 'http-429-retry-after') {
          const limited = mine.find((a) => a.answered === 429) as Attempt;
          const next = (log[ch] as Attempt[]).filter((a) => a.at > limited.at);
          expect(next.length).toBeGreaterThan(0);
          expect(Math.min(...next.map((a) => a.at)) - limited.at).toBeGreaterThanOrEqual(2000);
        }
        // A crash after delivering some records, before acknowledging the batch: the batch comes
        // back, and what was delivered is not posted again (completed deliveries are recorded).
        if (s.name === 'worker-crash-mid-batch')
          expect(crashed.has(ch), `${ch}: the crash happened`).toBe(true);
        expect(row.duplicates, `${ch}: duplicates`).toBe(s.duplicates ?? 0);
      }
    }, 40_000);
  }

  // Self-contained: it makes its own dead letters, so it passes alone or after the scenarios.
  it('dead-letters a permanent failure, redrives it once the webhook is fixed, and logs every state without secrets', async () => {
    const name = 'redrive-after-fix';
    const s: Scenario = {
      name,
      fault: (n) => (n === 1 ? { status: 500, body: 'rollup_error' } : { status: 404, body: 'no_service' }),
    };
    scenarios.push(s);
    const events = eventsFor(name).slice(0, 2);
    await postAll(events);
    // One listing at a time: SQS has no peek, so a listing holds the shared DLQ's messages while it reads.
    const inDlq = async () => {
      for (const ch of ['slack', 'teams'])
        if ((await deadLetters(ch)).text.split(`${name}.faults`).length - 1 !== events.length) return false;
      return true;
    };
    let deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await inDlq())) await new Promise((r) => setTimeout(r, 100));
    expect(await inDlq()).toBe(true);

    s.fault = () => ok;
    const env = { SQS_PORT: new URL(pipeline.sqsEndpoint).port };
    for (const ch of ['slack', 'teams']) {
      const out: string[] = [];
      expect(
        await cli(['dlq', 'redrive', ch], { out: (l) => out.push(l), err: (l) => out.push(l), env }),
      ).toBe(0);
      expect(out.at(-1)).toMatch(/^\d+ dead letters? moved/);
    }
    const redelivered = () =>
      ['slack', 'teams'].every(
        (ch) =>
          new Set(
            (log[ch] as Attempt[]).filter((a) => a.scenario === name && a.answered === 200).map((a) => a.key),
          ).size === events.length,
      );
    deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !redelivered()) await new Promise((r) => setTimeout(r, 50));
    expect(redelivered()).toBe(true);

    const all = logs.join('');
    for (const state of [
      '"event queued"',
      '"delivered"',
      '"delivery failed, will retry"',
      '"dead-lettered"',
    ]) {
      expect(all).toContain(state);
    }
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('SECRET');
  }, 60_000);
});
