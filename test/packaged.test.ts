// The deployed shape: `serverless package` for a deployed stage with every provider, each zip run
// as Lambda runs it (lib/local/packaged), every AWS call judged against the template's roles.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOX_SLACK_USER, signedSlackClick } from '../lib/local/inbox-server';
import { type PackagedLocal, startPackagedLocal } from '../lib/local/packaged/local';
import { main } from '../lib/ops/cli';
import { PROVIDER_IDS } from '../lib/providers/catalog';
import { signedLink } from '../lib/rollouts/links';
import { startAwsAccount } from './helpers/aws-account';
import { fixtureLines } from './helpers/fixtures';

const root = resolve(import.meta.dirname, '..');
const canary = (name: string) => fixtureLines.filter((l) => JSON.parse(l).name === name);

const until = async (what: string, done: () => boolean | Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('the packaged stack, run as deployed, every provider on', () => {
  let p: PackagedLocal;
  let api: string;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${api}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const itemsOf = (provider: string) => p.inbox.items.filter((i) => i.provider === provider);

  beforeAll(async () => {
    p = await startPackagedLocal(root, {
      stage: 'test',
      deployEnv: { SLACK_APPROVERS: INBOX_SLACK_USER.id },
    });
    api = p.stack.apiUrl;
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('starts every function the template declares: ingest, web, gates, the Slack and Teams endpoints, a worker per provider, status', () => {
    expect([...p.stack.functions.values()].map((f) => f.spec.role).sort()).toEqual(
      [
        'IngestRole',
        'WebRole',
        'GatesRole',
        'SlackInteractionsRole',
        'TeamsMessagesRole',
        'StatusRole',
        ...PROVIDER_IDS.map(
          (id) =>
            `${id
              .split('-')
              .map((w) => w[0]?.toUpperCase() + w.slice(1))
              .join('')}Role`,
        ),
      ].sort(),
    );
    expect(p.stack.mappings).toHaveLength(PROVIDER_IDS.length);
  });

  it('delivers a promoted and a failed rollout from ingest through every queue and worker to every platform', async () => {
    for (const line of [...canary('podinfo'), ...canary('checkout')]) {
      const res = await post(`/events?token=${p.token}`, line);
      expect(`${res.status} ${await res.text()}`).toMatch(/^202 /);
    }
    await until('every provider to hear of both rollouts', () =>
      PROVIDER_IDS.every((id) => JSON.stringify(itemsOf(id)).includes('checkout')),
    );
    // Each platform's own view: chat providers show both canaries, incident tools only the failure.
    for (const id of [
      'slack',
      'slack-app',
      'teams',
      'discord',
      'telegram',
      'googlechat',
      'webex',
      'webhook',
    ]) {
      expect(JSON.stringify(itemsOf(id)), id).toContain('podinfo');
    }
    expect(JSON.stringify(itemsOf('pagerduty'))).toContain('"event_action":"trigger"');
    // Every queue drains, the dead-letter queue stays empty: nothing lost, nothing stuck.
    await until('the queues to drain', async () => (await p.stack.backlog()) === 0, 30_000);
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: p.stack.sqsEndpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: `${p.stack.sqsEndpoint}/000000000000/flagger-notify-test-dlq.fifo`,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Attributes.ApproximateNumberOfMessages).toBe('0');
    sqs.destroy();
  }, 120_000);

  it('serves the rollout page behind a message’s signed link, through the web function', async () => {
    const link = /https?:\/\/127\.0\.0\.1:\d+\/rollouts\/shop\/checkout\/[^"\\\s|>)]+/.exec(
      JSON.stringify(itemsOf('slack')),
    )?.[0];
    expect(link).toBeDefined();
    const page = await fetch(link as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('checkout');
    // One character of the signature changed (the link ends with its key id, then comes the sig).
    const tampered = await fetch(
      (link as string).replace(/sig=(.)/, (_, c) => `sig=${c === 'A' ? 'B' : 'A'}`),
    );
    expect(tampered.status).toBeGreaterThanOrEqual(400);
  });

  it('answers Flagger’s gate checks through the gates function: closed, then opened by a signed Slack click', async () => {
    const frontend = canary('frontend');
    for (const line of frontend.slice(0, 3))
      expect((await post(`/events?token=${p.token}`, line)).status).toBe(202);
    const check = async () =>
      (await post(`/gate/check?token=${p.token}`, JSON.stringify({ name: 'frontend', namespace: 'web' })))
        .status;
    expect(await check()).toBe(403);
    expect((await post('/gate/check', JSON.stringify({ name: 'frontend', namespace: 'web' }))).status).toBe(
      401,
    );

    // The Slack app's Approve button on frontend's live message, clicked as Slack sends a click.
    let button: { action_id: string; value: string; ts: string } | undefined;
    await until('the Slack app message’s Approve button', () => {
      button = p.inbox.items
        .filter((x) => x.provider === 'slack-app')
        .flatMap((x) => {
          const payload = x.payload as {
            ts?: string;
            attachments?: { blocks?: { elements?: { action_id?: string; value?: string }[] }[] }[];
          };
          return (payload.attachments?.[0]?.blocks ?? []).flatMap((b) =>
            (b.elements ?? [])
              .filter((e) => e.action_id === 'gate-open' && e.value?.includes('"frontend"'))
              .map((e) => ({
                action_id: 'gate-open',
                value: String(e.value),
                ts: x.kind === 'update' ? String(payload.ts) : x.id,
              })),
          );
        })
        .at(-1);
      return Boolean(button);
    });
    const b = button as { action_id: string; value: string; ts: string };
    const click = (secret: string) => {
      const signed = signedSlackClick(b, secret, p.inbox.slackMessage(b.ts));
      return fetch(`${api}/slack/interactions`, { method: 'POST', ...signed });
    };
    expect((await click('not-the-signing-secret')).status).toBe(401);
    expect(await check()).toBe(403);
    const clicked = await click(p.secrets.SLACK_SIGNING_SECRET as string);
    expect(`${clicked.status} ${await clicked.text()}`).toBe('200 Gate opened');
    expect(await check()).toBe(200);
  }, 60_000);

  it('serves the fleet page through the web function, from a link signed with the stage’s secret', async () => {
    const link = signedLink(p.secrets.LINK_SECRET as string, api, '/fleet');
    const page = await fetch(link);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('data-canary="shop/checkout"');
    expect(html).toContain('data-canary="test/podinfo"');
    expect((await fetch(`${api}/fleet`)).status).toBe(403);
  });

  it('runs the status function on its schedule: the failed canary keeps CanaryStatus at 2', async () => {
    const out = await p.stack.invoke('StatusLambdaFunction', {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      detail: {},
    });
    expect(out).toEqual({ result: expect.objectContaining({ failedCanaries: 1 }) });
  });

  it('made every AWS call with a grant of the calling function’s own role', () => {
    const denied = p.stack.calls.filter((c) => !c.allowed).map((c) => `${c.role} ${c.action} ${c.resource}`);
    expect(denied).toEqual([]);
    // The check ran for every role: each one made calls, and each was judged.
    const roles = new Set(p.stack.calls.map((c) => c.role));
    for (const f of p.stack.functions.values()) expect(roles, f.spec.role).toContain(f.spec.role);
  });

  it('refuses a call the role does not allow with AccessDeniedException, as AWS answers', async () => {
    const as = (role: string) => ({
      region: 'us-east-1',
      endpoint: p.stack.calls.length
        ? String(p.stack.resolve({ Ref: 'SlackQueue' })).replace(/\/0{12}\/.*/, '')
        : '',
      credentials: { accessKeyId: role, secretAccessKey: 'x' },
    });
    const web = new SQSClient(as('WebRole'));
    const send = web.send(
      new SendMessageCommand({
        QueueUrl: String(p.stack.resolve({ Ref: 'SlackQueue' })),
        MessageBody: '{}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
      }),
    );
    // SQS's JSON protocol names the error by its query-compatible code, AccessDenied.
    await expect(send).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('is not authorized to perform: sqs:SendMessage'),
    });
    const ingest = new DynamoDBClient(as('IngestRole'));
    await expect(
      ingest.send(new ScanCommand({ TableName: String(p.stack.resolve({ Ref: 'StateTable' })) })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    web.destroy();
    ingest.destroy();
    expect(p.stack.calls.filter((c) => !c.allowed).map((c) => `${c.role} ${c.action}`)).toEqual([
      'WebRole sqs:SendMessage',
      'IngestRole dynamodb:Scan',
    ]);
  });

  it('reads no environment variable its template entry does not set', async () => {
    expect(await p.stack.unsetReads()).toEqual({});
  });

  it('never writes a secret to a function’s log', () => {
    const logs = p.stack.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(p.secrets)) expect(logs.includes(value), name).toBe(false);
  });

  it('doctor: a healthy stage looks ready; a missing parameter, a bad value or a firing alarm is named', async () => {
    const account = await startAwsAccount(p.stack);
    const doctor = async () => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['doctor', '--stage', 'test', '--region', 'us-east-1'], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env: {
          AWS_ENDPOINT_URL: account.endpoint,
          AWS_ACCESS_KEY_ID: 'operator',
          AWS_SECRET_ACCESS_KEY: 'x',
        },
      });
      const text = [...out, ...err].join('\n');
      for (const [name, value] of Object.entries(p.secrets)) expect(text.includes(value), name).toBe(false);
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const healthy = await doctor();
    expect(healthy.err).toBe('');
    expect(healthy.out).toContain('ok       the API refuses an event without a token (401)');
    expect(healthy.out).toContain('doctor: stage test (us-east-1) looks ready');
    expect(healthy.code).toBe(0);

    const params = p.stack.ssm.parameters;
    const saved = { ...params };
    delete params['/flagger-notify/test/slack-webhook-url'];
    params['/flagger-notify/test/discord-webhook-url'] =
      'https://discord.example.net/api/webhooks/1/SECRETPATH';
    params['/flagger-notify/test/telegram-bot-token'] = 'not-a-token';
    account.fire('flagger-notify-test-DeadLettersAlarm-1ABCDEF');
    const sick = await doctor();
    Object.assign(params, saved);
    expect(sick.code).toBe(1);
    expect(sick.err.split('\n')).toEqual([
      'problem  flagger-notify-test-slack: SLACK_WEBHOOK_URL: is not set (SSM parameter /flagger-notify/test/slack-webhook-url does not exist)',
      expect.stringMatching(
        /^problem {2}flagger-notify-test-discord: DISCORD_WEBHOOK_URL: host discord\.example\.net is not an allowed webhook host/,
      ),
      expect.stringMatching(/^problem {2}flagger-notify-test-telegram: .*TELEGRAM_BOT_TOKEN.*bot token/),
      'problem  alarm flagger-notify-test-DeadLettersAlarm-1ABCDEF is firing (npx flagger-notify dlq list --stage test)',
    ]);
    expect(sick.err).not.toContain('SECRETPATH');
    expect(sick.out).toContain('doctor: 4 problems in stage test (us-east-1)');
    await account.close();
  }, 60_000);

  it('keeps every secret out of the template: functions get parameter names only', () => {
    const text = readFileSync(resolve(p.artifacts, 'cloudformation-template-update-stack.json'), 'utf8');
    for (const [name, value] of Object.entries(p.secrets)) expect(text.includes(value), name).toBe(false);
    expect(Object.keys(p.stack.ssm.parameters).length).toBeGreaterThanOrEqual(Object.keys(p.secrets).length);
  });
});

describe('the packaged stack when a platform misbehaves (the worker’s retry and dead-letter grants)', () => {
  let p: PackagedLocal;
  let calls = 0;
  beforeAll(async () => {
    p = await startPackagedLocal(root, {
      stage: 'test',
      deployEnv: { CHANNELS: 'webhook' },
      // A routing file in SSM, as a deploy keeps it: the webhook destination, with a digest.
      // (A routing file's values are literal there: ingest, which reads it too, holds no URL.)
      secrets: (s) => ({
        CONFIG: `destinations:\n  webhook: { type: webhook, url: "${s.WEBHOOK_URL}", digest: { every: day } }\n`,
      }),
      // The first call is throttled (a retry, delayed by the queue); the failed rollout's
      // rollback is refused for good (a dead letter); everything else is taken.
      intercept: (req, res, body) => {
        if (!req.url?.startsWith('/inbox/webhook/')) return false;
        calls++;
        if (calls === 1) {
          res.writeHead(429, { 'retry-after': '1' }).end();
          return true;
        }
        if (body.includes('"kind":"rolled-back"')) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
          return true;
        }
        return false;
      },
    });
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('delays a throttled record and dead-letters a refused one, each with its own role’s grant', async () => {
    for (const line of [...canary('podinfo'), ...canary('checkout')]) {
      const res = await fetch(`${p.stack.apiUrl}/events?token=${p.token}`, {
        method: 'POST',
        body: line,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(202);
    }
    const did = (action: string, resource: string) =>
      p.stack.calls.some(
        (c) => c.role === 'WebhookRole' && c.action === action && c.resource.endsWith(resource),
      );
    await until(
      'a dead letter and the retried delivery',
      () =>
        did('sqs:SendMessage', ':flagger-notify-test-dlq.fifo') &&
        JSON.stringify(p.inbox.items).includes('"kind":"succeeded"'),
    );
    expect(did('sqs:ChangeMessageVisibility', ':flagger-notify-test-webhook.fifo')).toBe(true);
    expect(p.stack.calls.filter((c) => !c.allowed).map((c) => `${c.role} ${c.action} ${c.resource}`)).toEqual(
      [],
    );
  }, 90_000);

  it('sends the routing file’s digest through the status function, with its own role’s grants', async () => {
    const out = (await p.stack.invoke('StatusLambdaFunction', { digest: 'now' })) as {
      result: { sent: { ok: boolean; what: string; destination: string }[] };
    };
    expect(out.result.sent).toEqual([
      expect.objectContaining({ ok: true, what: 'digest (destination webhook)', destination: 'webhook' }),
    ]);
    await until('the digest at the webhook', () => JSON.stringify(p.inbox.items).includes('"type":"digest"'));
    const status = p.stack.calls.filter((c) => c.role === 'StatusRole');
    expect(status.filter((c) => !c.allowed)).toEqual([]);
    // The fleet through its index and a batch read of the stories; the digest's record by key.
    expect(status.some((c) => c.action === 'dynamodb:Query' && c.resource.endsWith('/index/fleet'))).toBe(
      true,
    );
    expect(status.some((c) => c.action === 'dynamodb:BatchGetItem')).toBe(true);
    expect(status.some((c) => c.action === 'dynamodb:GetItem')).toBe(true);
  });

  it('refuses to map a queue to a function whose role cannot read it, as Lambda does', async () => {
    const { cpSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startPackagedStack } = await import('../lib/local/packaged/stack');
    const { localCertificate } = await import('../lib/local/packaged/tls-stand-ins');
    const copy = mkdtempSync(join(tmpdir(), 'packaged-edit-'));
    cpSync(p.artifacts, copy, { recursive: true });
    const file = join(copy, 'cloudformation-template-update-stack.json');
    const t = JSON.parse(readFileSync(file, 'utf8'));
    for (const s of t.Resources.WebhookRole.Properties.Policies[0].PolicyDocument.Statement)
      if (Array.isArray(s.Action)) s.Action = s.Action.filter((a: string) => a !== 'sqs:DeleteMessage');
    writeFileSync(file, JSON.stringify(t));
    const cert = localCertificate();
    await expect(
      startPackagedStack({
        artifacts: copy,
        sdkModules: join(root, 'node_modules'),
        parameters: {},
        tls: cert,
      }),
    ).rejects.toThrow(
      'WebhookEventSourceMappingSQSWebhookQueue: the provided execution role does not have permissions to call DeleteMessage on SQS',
    );
    cert.remove();
  });
});
