import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToDeadLetter } from '../../lib/aws/queue';
import { createQueues } from '../../lib/local/queues';
import { localServiceDef } from '../../lib/local/serverless-config';
import { main } from '../../lib/ops/cli';
import { teams } from '../../lib/providers/teams';
import { fixtureLines } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, destination, startReceiver } from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

let env: Awaited<ReturnType<typeof startSqs>>;
let urls: Map<string, { url: string }>;
const body = (line: string) =>
  JSON.stringify({ v: 1, receivedAt: '2026-01-01T00:00:00.000Z', event: JSON.parse(line) });

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { SQS_PORT: String(env.emulator.port) },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  env = await startSqs();
  urls = await createQueues(env.sqs, localServiceDef('serverless.yml').queues);
});
afterAll(async () => env?.close());

describe('flagger-notify dlq (against the local pipeline’s queues)', () => {
  it('lists dead letters with the worker’s reason, and recognises ones SQS moved itself', async () => {
    const dlq = urls.get('SlackDLQ')?.url as string;
    await sendToDeadLetter(
      env.sqs,
      dlq,
      { messageId: 'm1', body: body(fixtureLines[0] as string), groupId: 'slack/test/podinfo' },
      {
        provider: 'slack',
        reason: 'PermanentDeliveryError: slack webhook (hooks.slack.com) answered 404: no_service',
        errorType: 'PermanentDeliveryError',
        status: 404,
        attempts: 1,
        firstFailedAt: '2026-01-01T00:00:01.000Z',
      },
    );
    await env.sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: body(fixtureLines[13] as string),
        MessageGroupId: 'shop/checkout',
        MessageDeduplicationId: 'm2',
      }),
    );
    const r = await cli('dlq', 'list', 'slack');
    expect(r.code).toBe(0);
    expect(r.out).toContain('flagger-notify-local-slack-dlq.fifo: 2 dead letters');
    expect(r.out).toContain('podinfo.test  Progressing  "New revision detected! Scaling up podinfo.test"');
    expect(r.out).toContain(
      'reason: PermanentDeliveryError: slack webhook (hooks.slack.com) answered 404: no_service',
    );
    expect(r.out).toContain('status 404 · attempts 1 · first failed 2026-01-01T00:00:01.000Z');
    expect(r.out).toContain('checkout.shop');
    expect(r.out).toContain('reason: moved by SQS after maxReceiveCount receives');
  });

  it('redrives every dead letter to the main queue, leaving the DLQ empty', async () => {
    const r = await cli('dlq', 'redrive', 'slack');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '2 dead letters moved from flagger-notify-local-slack-dlq.fifo to flagger-notify-local-slack.fifo',
    );
    const main = urls.get('SlackQueue')?.url as string;
    const bodies: string[] = [];
    for (let i = 0; i < 5 && bodies.length < 2; i++) {
      const m = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: main, MaxNumberOfMessages: 10 }));
      bodies.push(...(m.Messages ?? []).map((x) => x.Body ?? ''));
    }
    expect(bodies.sort()).toEqual([body(fixtureLines[0] as string), body(fixtureLines[13] as string)].sort());
    expect((await cli('dlq', 'list', 'slack')).out).toContain('0 dead letters');
  });

  it('lists every dead letter of two canaries (4 and 2) with reasons, and redrives them in per-canary order', async () => {
    const rx = await startReceiver(answer(404, 'no_service'));
    const teamsQueue = urls.get('TeamsQueue')?.url as string;
    const teamsDlq = urls.get('TeamsDLQ')?.url as string;
    const handle = workerFor(teams, destination(teams, rx.url('/workflows/x')), {
      queueUrl: teamsQueue,
      dlqUrl: teamsDlq,
      retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 1000, windowSeconds: 7200 },
      client: env.sqs,
    });
    const podinfo = fixtureLines.filter((l) => l.includes('"podinfo"')).slice(0, 4);
    const checkout = fixtureLines.filter((l) => l.includes('"checkout"')).slice(0, 2);
    const records = [...podinfo, ...checkout].map((l, i) => {
      const r = fakeRecord(JSON.parse(l), `dl${i}`, 'teams');
      return { ...r, body: body(l), attributes: { ...r.attributes, SentTimestamp: String(1_000 + i) } };
    });
    // One invocation per record, as failures arrive; every one is refused for good (404).
    for (const r of records) expect((await handle({ Records: [r] }, ctx)).batchItemFailures).toEqual([]);
    await rx.close();

    const list = await cli('dlq', 'list', 'teams');
    expect(list.out).toContain('flagger-notify-local-teams-dlq.fifo: 6 dead letters of 2 canaries');
    expect(list.out).toContain('6 × PermanentDeliveryError: teams webhook (127.0.0.1');
    expect(list.out).not.toContain('more behind these');
    const json = JSON.parse((await cli('dlq', 'list', 'teams', '--json')).out);
    expect(json.total).toBe(6);
    expect(json.deadLetters.map((d: { canary: string }) => d.canary)).toEqual([
      'checkout.shop',
      'checkout.shop',
      'podinfo.test',
      'podinfo.test',
      'podinfo.test',
      'podinfo.test',
    ]);

    expect((await cli('dlq', 'redrive', 'teams')).out).toContain('6 dead letters moved');
    // Read the main queue as a worker would, one canary's head at a time: each canary in order.
    const got: Record<string, string[]> = {};
    for (let i = 0; i < 30 && Object.values(got).flat().length < 6; i++) {
      const r = await env.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: teamsQueue,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      for (const m of r.Messages ?? []) {
        const group = m.Attributes?.MessageGroupId ?? '?';
        got[group] = [...(got[group] ?? []), JSON.parse(m.Body ?? '{}').event.metadata.eventMessage];
        await env.sqs.send(
          new DeleteMessageCommand({ QueueUrl: teamsQueue, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
    expect(got).toEqual({
      'teams/test/podinfo': podinfo.map((l) => JSON.parse(l).metadata.eventMessage),
      'teams/shop/checkout': checkout.map((l) => JSON.parse(l).metadata.eventMessage),
    });
  });

  it.each([
    [['dlq', 'list'], 2, 'usage:'],
    [['dlq', 'peek', 'slack'], 2, 'usage:'],
    [
      ['dlq', 'list', 'pager'],
      2,
      'unknown provider "pager": expected one of slack, slack-app, teams, discord',
    ],
    [['dlq', 'list', 'slack', '--bogus'], 2, "Unknown option '--bogus'"],
  ])('%j exits %i with a clear message', async (argv, code, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
  });

  it('says so when the local pipeline is not running', async () => {
    const r = await main(['dlq', 'list', 'teams'], {
      out: () => {},
      err: (l) => errs.push(l),
      env: { SQS_PORT: '1' },
    });
    expect(r).toBe(1);
    expect(errs.join('\n')).toMatch(
      /cannot reach the teams queues of stage "local" at http:\/\/127\.0\.0\.1:1: .*\nis `npm start` running\?/,
    );
  });
  const errs: string[] = [];
});

describe('flagger-notify check-config', () => {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('validates a file and explains where each sample event goes and why', async () => {
    const r = await run('check-config', 'docs/examples/oncall-failures.yaml');
    expect(r.code).toBe(0);
    expect(r.out).toContain('note: not set here (fine for checking routes): SLACK_ONCALL_URL, TEAMS_URL');
    expect(r.out).toContain('docs/examples/oncall-failures.yaml: valid — 2 destinations, 2 routes');
    expect(r.out).toContain(
      'checkout.shop Failed "Canary failed! Scaling down checkout.shop"\n  → oncall, deploys\n    route oncall: sent → oncall (no match criteria (catches everything))',
    );
    expect(r.out).toContain(
      'route oncall: filtered (no match criteria (catches everything); severity info below minSeverity error)',
    );
  });

  it('explains a given event for a given route', async () => {
    const r = await run(
      'check-config',
      'docs/examples/per-team.yaml',
      '--event',
      'events/flagger-events.jsonl',
      '--route',
      'team-web',
    );
    expect(r.out).toContain('route team-web: sent → team-web (selected by /events/team-web)');
  });

  it('fails with the path and line of a bad key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      'destinations:\n  a: { type: slack }\nroutes:\n  - to: [a]\n    match: { nmespace: x }\n',
    );
    const r = await run('check-config', join(dir, 'bad.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/routes\.0\.match \(line 5\)/);
  });
});
