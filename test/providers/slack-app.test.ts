import type { SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import { envDestination } from '../../lib/providers/destination';
import { slackApp } from '../../lib/providers/slack-app';
import { dynamoRolloutStore, type RolloutStore } from '../../lib/stores/rollouts';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { startSlackApi } from '../helpers/slack-api';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

const TOKEN = 'xoxb-SECRET-0000-token';
const db = useDynamo();
let slack: Awaited<ReturnType<typeof startSlackApi>>;
afterEach(async () => slack?.close());

const rolloutOf = (name: string) => fixtures.filter((e) => e.name === name);
let n = 0;

async function setup(store: RolloutStore = dynamoRolloutStore(db.table, db.client)) {
  slack = await startSlackApi();
  const name = `app-${++n}`;
  const def = envDestination(slackApp, {
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_CHANNEL_ID: 'C0LOCAL0001',
    SLACK_API_URL: slack.url,
  });
  const sender = slackApp.create({ ...def, name }, { deployed: false, extraAllowedHosts: [], store });
  const handle = workerFor(slackApp, { name, sender, events: 'live' }, { store });
  const records = (events: typeof fixtures) => events.map((e) => fakeRecord(e, `m${++n}`, name));
  /** One invocation per record, as a sparse Flagger fleet gives. */
  const oneByOne = async (rs: SQSRecord[]) => {
    for (const r of rs) expect((await handle({ Records: [r] }, ctx)).batchItemFailures).toEqual([]);
  };
  return { handle, records, oneByOne, sender, name };
}
const textOf = (m: { attachments?: unknown[] }) => JSON.stringify(m.attachments);
const methods = () => slack.api.calls.map((c) => c.method);

describe('Slack app: one live message per rollout', () => {
  it('podinfo: one message redrawn to Promoted, the failing check and the outcome in its thread', async () => {
    const { records, oneByOne } = await setup();
    await oneByOne(records(rolloutOf('podinfo')));
    expect(slack.api.messages).toHaveLength(1);
    const [m] = slack.api.messages;
    expect(textOf(m as never)).toContain('Promoted');
    expect(textOf(m as never)).toContain('6d5c8f7b9c');
    expect(m?.replies.map((r) => r.text?.slice(0, 20))).toEqual([
      '⚠️ Check failing: Ha',
      '✅ Promoted: Promotio',
    ]);
    expect(m?.replies.some((r) => r.broadcast)).toBe(false);
    // 1 post + 2 replies + an update per later event (12).
    expect(methods().filter((x) => x === 'chat.postMessage')).toHaveLength(3);
    expect(methods().filter((x) => x === 'chat.update')).toHaveLength(12);
    expect(slack.api.calls.every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('checkout: the failure is broadcast to the channel, the halts counted in the message', async () => {
    const { records, oneByOne } = await setup();
    await oneByOne(records(rolloutOf('checkout')));
    expect(slack.api.messages).toHaveLength(1);
    const [m] = slack.api.messages;
    expect(textOf(m as never)).toContain('Failed');
    expect(textOf(m as never)).toContain('success rate (2×)');
    expect(m?.replies.map((r) => [r.text?.slice(0, 9), r.broadcast])).toEqual([
      ['⚠️ Check ', false],
      ['⚠️ Check ', false],
      ['❌ Failed:', true],
    ]);
  });

  it('frontend: initialization and the rollout are two messages; both approval gates in the thread', async () => {
    const { records, oneByOne } = await setup();
    await oneByOne(records(rolloutOf('frontend')));
    expect(slack.api.messages).toHaveLength(2);
    const rollout = slack.api.messages[1];
    expect(rollout?.replies.map((r) => r.text?.slice(0, 24))).toEqual([
      '⏸️ Waiting for approval:',
      '⏸️ Waiting for approval:',
      '✅ Promoted: Promotion co',
    ]);
    expect(textOf(rollout as never)).toContain('✓ gate-keeper');
  });

  it('coalesces a batch of one canary’s events into one redraw', async () => {
    const { handle, records } = await setup();
    const res = await handle({ Records: records(rolloutOf('podinfo')) }, ctx);
    expect(res.batchItemFailures).toEqual([]);
    expect(slack.api.messages).toHaveLength(1);
    // The post draws the first state; the last record redraws once with everything.
    expect(methods().filter((x) => x === 'chat.update')).toHaveLength(1);
    expect(textOf(slack.api.messages[0] as never)).toContain('Promoted');
  });

  it('applies a redelivered record once: no second reply, no second parent', async () => {
    const { handle, records } = await setup();
    const [a, b] = records(rolloutOf('checkout').slice(0, 4));
    await handle({ Records: [a as SQSRecord] }, ctx);
    await handle({ Records: [b as SQSRecord] }, ctx);
    const before = slack.api.messages[0]?.replies.length;
    await handle({ Records: [a as SQSRecord, b as SQSRecord] }, ctx);
    expect(slack.api.messages).toHaveLength(1);
    expect(slack.api.messages[0]?.replies.length).toBe(before);
  });
});

describe('Slack app: failures', () => {
  it('after message_not_found posts a new rollout message and carries on', async () => {
    const { records, oneByOne } = await setup();
    const [first, ...rest] = records(rolloutOf('podinfo'));
    await oneByOne([first as SQSRecord]);
    slack.api.failNext('chat.update', { error: 'message_not_found' });
    await oneByOne(rest);
    expect(slack.api.messages).toHaveLength(2);
    expect(textOf(slack.api.messages[1] as never)).toContain('Promoted');
  });

  it('waits out ratelimited with Slack’s Retry-After, then finishes', async () => {
    const { sender } = await setup();
    const first = rolloutOf('podinfo')[0] as (typeof fixtures)[number];
    const send = () =>
      sender.send(first, { timeoutMs: 1000, messageId: 'rl-1', eventId: 'rl-1', moreInGroup: false });
    slack.api.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const err = await send().catch((e: Error) => e);
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect((err as RetryableDeliveryError).retryAfterSeconds).toBe(7);
    expect(slack.api.messages).toHaveLength(0);
    expect((await send()).status).toBe(200);
    expect(slack.api.messages).toHaveLength(1);
  });

  it('finds its own message after a post whose answer was lost (fatal_error), so no second parent', async () => {
    const { handle, records } = await setup();
    const [first, second] = records(rolloutOf('podinfo'));
    slack.api.failNext('chat.postMessage', { error: 'fatal_error', afterDoing: true });
    expect((await handle({ Records: [first as SQSRecord] }, ctx)).batchItemFailures).toHaveLength(1);
    expect((await handle({ Records: [first as SQSRecord] }, ctx)).batchItemFailures).toEqual([]);
    await handle({ Records: [second as SQSRecord] }, ctx);
    expect(slack.api.messages).toHaveLength(1);
    expect(methods()).toContain('conversations.history');
  });

  it('after a crash between the post and saving its ts, adopts the posted message', async () => {
    const real = dynamoRolloutStore(db.table, db.client);
    let crashOnce = false;
    const crashing: RolloutStore = {
      get: (k) => real.get(k),
      failing: () => real.failing(),
      put: async (k, v, ver) => {
        if (v.message && crashOnce) {
          crashOnce = false;
          throw new Error('worker crashed');
        }
        return real.put(k, v, ver);
      },
    };
    const { handle, records } = await setup(crashing);
    const rs = records(rolloutOf('checkout'));
    crashOnce = true;
    expect((await handle({ Records: [rs[0] as SQSRecord] }, ctx)).batchItemFailures).toHaveLength(1);
    for (const r of rs) await handle({ Records: [r] }, ctx);
    expect(slack.api.messages).toHaveLength(1);
    expect(textOf(slack.api.messages[0] as never)).toContain('Failed');
  });

  it('a worker that died mid-post saved nothing: the redelivered record looks before posting', async () => {
    const real = dynamoRolloutStore(db.table, db.client);
    let dead = false;
    let revived = false;
    const dying: RolloutStore = {
      get: (k) => real.get(k),
      failing: () => real.failing(),
      // Dead once the message is posted: not even the failure path's save reaches the table.
      put: async (k, v, ver) => {
        if (v.message && !revived) dead = true;
        if (dead) throw new Error('worker gone');
        return real.put(k, v, ver);
      },
    };
    const { handle, records } = await setup(dying);
    const [first] = records(rolloutOf('frontend'));
    const posted = slack.api.messages.length;
    await handle({ Records: [first as SQSRecord] }, ctx);
    expect(slack.api.messages.length - posted).toBe(1);
    dead = false;
    revived = true;
    const again = {
      ...(first as SQSRecord),
      attributes: { ...(first as SQSRecord).attributes, ApproximateReceiveCount: '2' },
    };
    expect((await handle({ Records: [again] }, ctx)).batchItemFailures).toEqual([]);
    expect(slack.api.messages.length - posted).toBe(1);
    expect(methods()).toContain('conversations.history');
  });

  it('without channels:history, an uncertain post may repeat the parent (the window the README names)', async () => {
    const { handle, records } = await setup();
    slack.api.history = false;
    const [first] = records(rolloutOf('podinfo'));
    slack.api.failNext('chat.postMessage', { error: 'fatal_error', afterDoing: true });
    await handle({ Records: [first as SQSRecord] }, ctx);
    await handle({ Records: [first as SQSRecord] }, ctx);
    expect(slack.api.messages).toHaveLength(2);
  });

  it.each([
    'invalid_auth',
    'token_revoked',
    'channel_not_found',
    'not_in_channel',
    'missing_scope',
    'is_archived',
  ])('dead-letters %s after one attempt, naming Slack’s code, never the token', async (code) => {
    const { sender } = await setup();
    slack.api.failNext('chat.postMessage', { error: code });
    const err = await sender
      .send(rolloutOf('podinfo')[0] as (typeof fixtures)[number], {
        timeoutMs: 1000,
        messageId: `x-${code}`,
        eventId: `x-${code}`,
        moreInGroup: false,
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toContain(`chat.postMessage (127.0.0.1`);
    expect((err as Error).message).toContain(code);
    expect((err as Error).message).not.toContain('SECRET');
  });

  it('retries internal_error', async () => {
    const { sender } = await setup();
    slack.api.failNext('chat.postMessage', { error: 'internal_error' });
    const err = await sender
      .send(rolloutOf('podinfo')[0] as (typeof fixtures)[number], {
        timeoutMs: 1000,
        messageId: 'x-int',
        eventId: 'x-int',
        moreInGroup: false,
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(RetryableDeliveryError);
  });
});
