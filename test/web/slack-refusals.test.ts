// Every way a request to /slack/interactions is refused, answered exactly and changing nothing;
// and the small facts of an accepted one (who, when, how much of a long name or reason is kept).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { type SlackApi, SlackPermanentError } from '../../lib/providers/slack-app/api';
import { handleGate } from '../../lib/web/gates';
import { handleSlackInteraction, type SlackDestination, verifySlack } from '../../lib/web/slack-interactions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const SECRET = 'slack-signing-secret-0123456789ab';
const NOW = Date.UTC(2026, 11, 2, 12);
const target = { namespace: 'web', name: 'frontend' };

/** A Web API that answers from a table and records its calls. */
function fakeApi(answers: Record<string, (body: Record<string, unknown>) => unknown> = {}) {
  const calls: { method: string; body: Record<string, unknown> }[] = [];
  const api: SlackApi = {
    async call<T>(method: string, body: Record<string, unknown>) {
      calls.push({ method, body });
      const a = answers[method];
      return (a ? a(body) : { ok: true }) as T;
    },
  };
  return { api, calls };
}

async function setup(
  dest: SlackDestination = { approvers: [] },
  extra: Record<string, SlackDestination> = {},
) {
  const stories = memoryStories();
  const gates = memoryGates();
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
    await storyOf(stories, e, eventIdentity(e));
  const rollout = (await stories.get(target))?.value.rollout.startedAt as number;
  const deps = {
    secret: SECRET,
    destinations: { ops: dest, ...extra },
    firstSeen: async () => true,
    stories,
    gates,
    now: () => NOW,
  };
  const raw = (body: string) => {
    const ts = String(Math.floor(NOW / 1000));
    const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    return handleSlackInteraction({ 'x-slack-request-timestamp': ts, 'x-slack-signature': sig }, body, deps);
  };
  const send = (payload: unknown) =>
    raw(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  const value = (b: object = {}) => JSON.stringify({ ...target, rollout, d: 'ops', ...b });
  const click = (over: Record<string, unknown> = {}, action: Record<string, unknown> = {}) =>
    send({
      type: 'block_actions',
      trigger_id: 'trig-1',
      user: { id: 'U0ANA', username: 'ana' },
      actions: [{ action_id: 'gate-open', value: value(), ...action }],
      ...over,
    });
  const dialog = (view: unknown, user: unknown = { id: 'U0ANA', username: 'ana' }) =>
    send({ type: 'view_submission', user, view });
  const meta = (m: object = {}) => JSON.stringify({ b: JSON.parse(value()), ch: 'C0OPS', ts: '1.2', ...m });
  const reasoned = (reason: unknown, m?: object) => ({
    callback_id: 'gate-reject',
    private_metadata: meta(m),
    state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
  });
  const audit = async () => (await gates.get(target))?.value.audit ?? [];
  const check = async () =>
    (await handleGate('gate', 'check', target, { by: 'f', how: 'api' }, { stories, gates })).statusCode;
  return { raw, send, click, dialog, reasoned, meta, value, audit, check, deps, rollout };
}

describe('Slack’s signature, exactly', () => {
  const body = 'payload=%7B%7D';
  const ts = String(Math.floor(NOW / 1000));
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  it.each([
    ['no timestamp', undefined, sig, 'missing'],
    ['no signature', ts, undefined, 'missing'],
    ['a timestamp with letters after it', `${ts}x`, sig, 'stale'],
    ['a timestamp with letters before it', `x${ts}`, sig, 'stale'],
    ['a signature of another length', ts, 'v0=abc', 'bad-signature'],
    ['the right one', ts, sig, 'ok'],
  ])('%s: %s', (_, t, s, want) => {
    expect(verifySlack(SECRET, t, s, body, NOW)).toBe(want);
  });

  it('says which check failed in its 401', async () => {
    const { deps } = await setup();
    expect(await handleSlackInteraction({ 'x-slack-signature': 'v0=ab' }, body, deps)).toEqual({
      statusCode: 401,
      body: 'request refused: missing Slack signature',
    });
  });
});

describe('a click refused, changing nothing', () => {
  it.each([
    [
      'a payload that is not JSON',
      (s: Awaited<ReturnType<typeof setup>>) => s.raw('payload=%7Bnot'),
      400,
      'payload: not a Slack interaction',
    ],
    [
      'a payload that is a string',
      (s: Awaited<ReturnType<typeof setup>>) => s.send('x'),
      400,
      'payload: not a Slack interaction',
    ],
    [
      'no user',
      (s: Awaited<ReturnType<typeof setup>>) => s.send({ type: 'block_actions', actions: [] }),
      400,
      'payload: not a Slack interaction',
    ],
    [
      'no actions',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({ actions: 'x' }),
      400,
      'payload: not a Slack interaction',
    ],
    [
      'another type',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({ type: 'message_action' }),
      400,
      'payload: not an Approve, Reject or Roll back click',
    ],
    [
      'an unknown button',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { action_id: 'gate-close' }),
      400,
      'payload: not an Approve, Reject or Roll back click',
    ],
    [
      'a user id with a lower-case tail',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({ user: { id: 'U0ANAx' } }),
      400,
      'payload: not an Approve, Reject or Roll back click',
    ],
    [
      'a user id with a prefix',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({ user: { id: 'xU0ANA' } }),
      400,
      'payload: not an Approve, Reject or Roll back click',
    ],
    [
      'a user id that is a list',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({ user: { id: ['U0ANA'] } }),
      400,
      'payload: not an Approve, Reject or Roll back click',
    ],
    [
      'a button value that is not JSON',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { value: 'nope' }),
      400,
      'payload: the button carries no rollout',
    ],
    [
      'a button value that is a list holding JSON',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { value: [s.value()] }),
      400,
      'payload: the button carries no rollout',
    ],
    [
      'a button with a numeric namespace',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { value: s.value({ namespace: 1 }) }),
      400,
      'payload: the button carries no rollout',
    ],
    [
      'a button with a numeric name',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { value: s.value({ name: 1 }) }),
      400,
      'payload: the button carries no rollout',
    ],
    [
      'a destination no longer configured',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { value: s.value({ d: 'gone' }) }),
      409,
      'the destination that drew this button is no longer configured',
    ],
    [
      'a canary with no rollout known',
      (s: Awaited<ReturnType<typeof setup>>) => s.click({}, { value: s.value({ name: 'other' }) }),
      409,
      'this rollout has ended or another one is running: nothing changed',
    ],
  ])('%s: %i', async (_, act, status, body) => {
    const s = await setup();
    expect(await act(s)).toEqual({ statusCode: status, body });
    expect(await s.audit()).toEqual([]);
    expect(await s.check()).toBe(403);
  });

  it('a user group without the bot token lets nobody in through it, and says why', async () => {
    const s = await setup({ approvers: ['S0ONCALL'] });
    expect(await s.click()).toEqual({
      statusCode: 403,
      body: 'U0ANA is not an approver (user group S0ONCALL cannot be read without the bot token)',
    });
  });

  it('a user group Slack answers without members lets nobody in', async () => {
    const { api } = fakeApi({ 'usergroups.users.list': () => ({ ok: true }) });
    const s = await setup({ approvers: ['S0ONCALL'], api });
    expect(await s.click()).toEqual({ statusCode: 403, body: 'U0ANA is not an approver' });
  });
});

describe('an accepted click, in its details', () => {
  it('records when, and who: the name cut to 64 characters, the whole line to 128', async () => {
    const { api } = fakeApi({
      'users.info': () => ({ ok: true, user: { profile: { email: `${'e'.repeat(60)}@example.com` } } }),
    });
    const s = await setup({ approvers: [], api });
    expect(await s.click({ user: { id: 'U0ANA', username: 'n'.repeat(100) } })).toEqual({
      statusCode: 200,
      body: 'Gate opened',
    });
    const [a] = await s.audit();
    expect(a?.at).toBe(NOW);
    expect(a?.by).toHaveLength(128);
    expect(a?.by.startsWith(`${'n'.repeat(64)} <${'e'.repeat(60)}`)).toBe(true);
  });

  it('counts one person once across the page and Slack, by e-mail', async () => {
    const { api } = fakeApi({
      'users.info': () => ({ ok: true, user: { profile: { email: 'ana@example.com' } } }),
    });
    const s = await setup({ approvers: [], api, minApprovals: 2 });
    await handleGate(
      'gate',
      'open',
      target,
      { by: 'ana@example.com', how: 'link', identity: 'ana@example.com' },
      {
        ...s.deps,
        rules: { minApprovals: 2 },
      },
    );
    expect((await s.click()).body).toMatch(/^Your approval is already counted/);
    expect(await s.check()).toBe(403);
  });

  it('without a bot token still opens the gate, and answers in no message', async () => {
    const s = await setup({ approvers: [] });
    expect(await s.click({ channel: { id: 'C0OPS' }, message: { ts: '1.2' } })).toEqual({
      statusCode: 200,
      body: 'Gate opened',
    });
  });
});

describe('Reject: the dialog and its submission, refused exactly', () => {
  it('needs the bot token and Slack’s trigger to ask why', async () => {
    expect(await (await setup()).click({}, { action_id: 'gate-reject' })).toEqual({
      statusCode: 409,
      body: "rejecting from Slack needs the app's bot token (to ask for a reason)",
    });
    const { api } = fakeApi();
    expect(
      await (await setup({ approvers: [], api })).click({ trigger_id: 5 }, { action_id: 'gate-reject' }),
    ).toEqual({
      statusCode: 409,
      body: "rejecting from Slack needs the app's bot token (to ask for a reason)",
    });
  });

  it.each([
    [
      new SlackPermanentError('views.open: expired_trigger_id', 'expired_trigger_id', 200),
      'expired_trigger_id',
    ],
    [new TypeError('fetch failed'), 'TypeError'],
  ])('says when the dialog cannot open (%s)', async (err, said) => {
    const api: SlackApi = { call: async () => Promise.reject(err) };
    const s = await setup({ approvers: [], api });
    expect(await s.click({}, { action_id: 'gate-reject' })).toEqual({
      statusCode: 502,
      body: `could not ask for a reason: ${said}`,
    });
  });

  it.each([
    ['no view', undefined, 'payload: not the Reject dialog'],
    ['another dialog', { callback_id: 'other' }, 'payload: not the Reject dialog'],
    [
      'metadata that is not JSON',
      { callback_id: 'gate-reject', private_metadata: '{' },
      'payload: the dialog carries no rollout',
    ],
    [
      'metadata that is not an object',
      { callback_id: 'gate-reject', private_metadata: '"x"' },
      'payload: the dialog carries no rollout',
    ],
  ])('%s: 400', async (_, view, body) => {
    const s = await setup();
    expect(await s.dialog(view)).toEqual({ statusCode: 400, body });
    expect(await s.audit()).toEqual([]);
  });

  it.each([
    ['no state', { callback_id: 'gate-reject' }],
    ['no values', { state: {} }],
    ['no reason block', { state: { values: {} } }],
    ['no reason input', { state: { values: { reason: {} } } }],
    ['a reason that is not text', { state: { values: { reason: { reason: { value: 5 } } } } }],
    ['only spaces', { state: { values: { reason: { reason: { value: ' \n ' } } } } }],
  ])('%s: asks for a reason in the dialog', async (_, over) => {
    const s = await setup();
    const view = { callback_id: 'gate-reject', private_metadata: s.meta(), ...over };
    const res = await s.dialog(view);
    expect(res).toEqual({
      statusCode: 200,
      body: JSON.stringify({
        response_action: 'errors',
        errors: { reason: 'Say why you reject this revision.' },
      }),
      json: true,
    });
    expect(await s.audit()).toEqual([]);
  });

  it('keeps the reason as one line of at most 300 characters', async () => {
    const s = await setup();
    expect(await s.dialog(s.reasoned(`  p99\n\n  up ${'x'.repeat(400)}`))).toEqual({
      statusCode: 200,
      body: '',
    });
    const [a] = await s.audit();
    expect(a?.rejected).toBe(`p99 up ${'x'.repeat(293)}`);
  });

  it('cuts a long refusal to 150 characters in the dialog', async () => {
    const code = 'c'.repeat(200);
    const api: SlackApi = { call: async () => Promise.reject(new SlackPermanentError(code, code, 200)) };
    const s = await setup({ approvers: ['S0ONCALL'], api });
    const res = await s.dialog(s.reasoned('why'));
    const reason = JSON.parse(res.body).errors.reason as string;
    expect(reason).toBe(`U0ANA is not an approver (user group S0ONCALL: ${code}`.slice(0, 150));
    expect(await s.audit()).toEqual([]);
  });

  it('answers in the message the dialog came from, only when it names one', async () => {
    const { api, calls } = fakeApi();
    const s = await setup({ approvers: [], api });
    await s.dialog(s.reasoned('no', { ch: 5, ts: 7 }));
    expect(calls.filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    const t = await setup({ approvers: [], api });
    await t.dialog(t.reasoned('no'));
    expect(
      calls.filter((c) => c.method === 'chat.postMessage').map((c) => [c.body.channel, c.body.thread_ts]),
    ).toEqual([['C0OPS', '1.2']]);
  });
});
