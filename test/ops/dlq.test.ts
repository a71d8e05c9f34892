import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToDeadLetter } from '../../lib/aws/queue';
import { createQueues } from '../../lib/local/queues';
import { localServiceDef } from '../../lib/local/serverless-config';
import { main, providerOfQueue } from '../../lib/ops/cli';
import { describeDeadLetter } from '../../lib/ops/dlq';
import { teams } from '../../lib/providers/teams';
import { fixtureLines } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, destination, startReceiver } from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

let env: Awaited<ReturnType<typeof startSqs>>;
let urls: Map<string, { url: string }>;
const ACCEPTED = new Date().toISOString();
const body = (line: string) => JSON.stringify({ v: 1, receivedAt: ACCEPTED, event: JSON.parse(line) });

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
  const workerDeadLetter = (provider: string, messageId: string, line: string) =>
    sendToDeadLetter(
      env.sqs,
      urls.get('DeadLetterQueue')?.url as string,
      { messageId, body: body(line), groupId: `${provider}/test/podinfo` },
      {
        provider,
        reason: `PermanentDeliveryError: ${provider} webhook (hooks.example.com) answered 404: no_service`,
        errorType: 'PermanentDeliveryError',
        status: 404,
        attempts: 1,
        firstFailedAt: '2026-01-01T00:00:01.000Z',
      },
    );
  const drainQueue = async (id: string) => {
    const url = urls.get(id)?.url as string;
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      for (const x of m.Messages ?? []) {
        bodies.push(x.Body ?? '');
        await env.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: x.ReceiptHandle }));
      }
    }
    return bodies;
  };

  it('lists every provider’s dead letters, or one provider’s, with the worker’s reason; SQS’s own moves too', async () => {
    await workerDeadLetter('slack', 'm1', fixtureLines[0] as string);
    await workerDeadLetter('teams', 'm3', fixtureLines[1] as string);
    // As SQS moves a record after maxReceiveCount: no worker attributes (and, from the local
    // emulator, no source queue either).
    await env.sqs.send(
      new SendMessageCommand({
        QueueUrl: urls.get('DeadLetterQueue')?.url,
        MessageBody: body(fixtureLines[13] as string),
        MessageGroupId: 'shop/checkout',
        MessageDeduplicationId: 'm2',
      }),
    );
    const all = await cli('dlq', 'list');
    expect(all.code).toBe(0);
    expect(all.out).toContain('flagger-notify-local-dlq.fifo: 3 dead letters of 2 canaries');
    expect(all.out).toContain(
      'slack  podinfo.test  Progressing  "New revision detected! Scaling up podinfo.test"',
    );
    expect(all.out).toContain('teams  podinfo.test');
    expect(all.out).toContain('provider unknown  checkout.shop');
    expect(all.out).toContain('reason: moved by SQS after maxReceiveCount receives');

    const r = await cli('dlq', 'list', 'slack');
    expect(r.out).toContain('flagger-notify-local-dlq.fifo, slack: 1 dead letter of 1 canary');
    expect(r.out).toContain(
      'reason: PermanentDeliveryError: slack webhook (hooks.example.com) answered 404: no_service',
    );
    expect(r.out).toContain('status 404 · attempts 1 · first failed 2026-01-01T00:00:01.000Z');
    expect(r.out).not.toContain('teams');
    expect(r.out).not.toContain('checkout.shop');
  });

  it('redrives one provider’s dead letters to its queue, then the rest to theirs, keeping what has no provider', async () => {
    const slack = await cli('dlq', 'redrive', 'slack');
    expect(slack.out).toContain(
      '1 dead letter moved from flagger-notify-local-dlq.fifo to flagger-notify-local-slack.fifo',
    );
    expect(await drainQueue('SlackQueue')).toEqual([body(fixtureLines[0] as string)]);
    expect((await cli('dlq', 'list', 'teams')).out).toContain('teams: 1 dead letter');

    const rest = await cli('dlq', 'redrive');
    expect(rest.out).toContain(
      '1 dead letter moved from flagger-notify-local-dlq.fifo to flagger-notify-local-teams.fifo',
    );
    expect(rest.out).toMatch(/1 left in flagger-notify-local-dlq\.fifo: no provider recorded \(.+\)/);
    expect(await drainQueue('TeamsQueue')).toEqual([body(fixtureLines[1] as string)]);
    // Kept visible, not hidden by the redrive that passed it over.
    expect((await cli('dlq', 'list')).out).toContain('1 dead letter of 1 canary');
    expect(await drainQueue('DeadLetterQueue')).toHaveLength(1);
  });

  it('lists every dead letter of two canaries (4 and 2) with reasons, and redrives them in per-canary order', async () => {
    const rx = await startReceiver(answer(404, 'no_service'));
    const teamsQueue = urls.get('TeamsQueue')?.url as string;
    const teamsDlq = urls.get('DeadLetterQueue')?.url as string;
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
    expect(list.out).toContain('flagger-notify-local-dlq.fifo, teams: 6 dead letters of 2 canaries');
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
    ['flagger-notify-prod-slack.fifo', 'slack'],
    ['flagger-notify-prod-slack-app.fifo', 'slack-app'],
    ['flagger-notify-staging-slack.fifo', undefined],
  ])('names the provider of a dead letter SQS moved from %s (stage prod): %s', (queue, provider) => {
    const d = describeDeadLetter(
      {
        MessageId: 'x',
        Body: body(fixtureLines[0] as string),
        Attributes: { DeadLetterQueueSourceArn: `arn:aws:sqs:eu-west-1:123456789012:${queue}` },
      },
      providerOfQueue('prod'),
    );
    expect(d.provider).toBe(provider);
    expect(d.reason).toContain('moved by SQS');
  });

  it.each([
    [['dlq'], 2, 'usage:'],
    [['dlq', 'peek', 'slack'], 2, 'usage:'],
    [
      ['dlq', 'list', 'pager'],
      2,
      'unknown provider "pager": expected one of slack, slack-app, teams, teams-bot, discord',
    ],
    [['dlq', 'list', 'slack', '--bogus'], 2, "Unknown option '--bogus'"],
  ])('%j exits %i with a clear message', async (argv, code, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
  });

  it('says so when the local pipeline is not running, naming SQS_PORT', async () => {
    const r = await main(['dlq', 'list', 'teams'], {
      out: () => {},
      err: (l) => errs.push(l),
      env: { SQS_PORT: '1' },
    });
    expect(r).toBe(1);
    expect(errs.join('\n')).toMatch(
      /^cannot reach npm start at http:\/\/127\.0\.0\.1:1 \(as PORT \/ SQS_PORT say\): .*Is it running\? .*set SQS_PORT to the port its banner shows\.$/,
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

  it('by default sums up: how many sample events reach each destination, through which routes, and how many none', async () => {
    const r = await run('check-config', 'docs/examples/per-team.yaml');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(1)).toEqual([
      'docs/examples/per-team.yaml: valid — 3 destinations, 3 routes',
      '40 events (the sample rollouts) would go:',
      '  team-shop (slack)         8 events  via team-shop',
      '  team-web (slack)          9 events  via team-web',
      '  everyone (teams)          9 events  via #3',
      '  (nowhere)                 18 events: no route sends them',
      '(--verbose: each event, and the route that decided)',
    ]);
  });

  it('words each template once, on the first event it words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 't.yaml'),
      'destinations:\n  ops:\n    type: slack\n    url: https://hooks.slack.com/services/x\n    template: { title: "{{ canary }} is {{ rollout.status }}" }\nroutes:\n  - to: [ops]\n',
    );
    const r = await run('check-config', join(dir, 't.yaml'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('templates: 1 rendered against 40 events, no errors; each on its first event:');
    expect(r.out).toContain(
      '  destinations.ops: "podinfo.test is progressing"\n    on podinfo.test "New revision detected! Scaling up podinfo.test"',
    );
  });

  it('says who gets a digest and when, and whose messages quiet hours hold', async () => {
    const r = await run('check-config', 'docs/examples/digests.yaml');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const at = lines.indexOf('digests and quiet hours:');
    expect(
      lines.slice(at + 1, at + 6).map((l) => l.replace(/next \d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'next …')),
    ).toEqual([
      '  digest   destination platform → platform: daily at 09:00 Europe/Berlin (canaries its routes send it); next …',
      '  digest   route payments → payments: weekly on fri at 16:00 America/New_York (canaries its match selects); next …',
      '  quiet    destination platform: 22:00–07:00 Europe/Berlin',
      '  quiet    route payments → payments: 00:00–24:00 America/New_York (sat, sun)',
      '           (failures, rollbacks and approvals waiting always go through)',
    ]);
  });

  it('shows a YAML error whole: where, what, and the line with a caret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'y.yaml'),
      'destinations:\n  ops: { type: slack, url: "x"\nroutes:\n  - to: [ops]\n',
    );
    const r = await run('check-config', join(dir, 'y.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `${join(dir, 'y.yaml')}: not valid YAML at line 3, column 1: Flow map in block collection must be sufficiently indented and end with a }\n  routes:\n  ^`,
    );
  });

  it('with --verbose explains where each sample event goes and why', async () => {
    const r = await run('check-config', 'docs/examples/oncall-failures.yaml', '--verbose');
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
      '--verbose',
    );
    expect(r.out).toContain('route team-web: sent → team-web (selected by /events/team-web)');
  });

  it('refuses a destination its worker could not use (a Slack app without its token), naming file, line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'app.yaml'),
      'destinations:\n  ops:\n    type: slack-app\n    channel: C0123456789\n',
    );
    const r = await run('check-config', join(dir, 'app.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${join(dir, 'app.yaml')}: destinations.ops.token (line 3): is not set`);
    expect(r.out).not.toContain('valid');
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
