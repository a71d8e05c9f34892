// The Teams bot's card (golden for every sample event, valid per Microsoft's parser), and its
// Bot Connector calls against a loopback server that misbehaves as Microsoft's can.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import { LiveMessageGoneError } from '../../lib/providers/live';
import { teamsBot } from '../../lib/providers/teams-bot';
import { rolloutCard } from '../../lib/providers/teams-bot/card';
import { botToken, connector } from '../../lib/providers/teams-bot/connector';
import { reduce } from '../../lib/rollouts/tracker';
import { fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { adaptiveCardProblems } from '../helpers/limits';
import { answer, type Receiver, startReceiver } from '../helpers/receiver';

const SECRET = 'teams-app-client-secret-value';
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

describe('the Teams bot’s card', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden card for %s, valid per Microsoft’s parser',
    (name, e) => {
      const p = teamsBot.preview(e, 'https://grafana.example/d/x?ns={namespace}') as {
        attachments: { content: unknown }[];
      };
      expectGolden(`teams-bot/${name}`, p);
      expect(adaptiveCardProblems(p.attachments[0]?.content)).toEqual([]);
    },
  );

  it('offers Approve, Reject (with its reason field) and Roll back only while a gate waits, and says who decided instead', () => {
    const events = fixtures.filter((e) => e.name === 'frontend');
    let r = reduce(undefined, events[0] as (typeof events)[number]).rollout;
    for (const e of events.slice(1, 3)) r = reduce(r, e).rollout;
    const waiting = rolloutCard(r, {
      namespace: 'web',
      name: 'frontend',
      destination: 'ops',
      rolloutUrl: 'https://x/rollouts/web/frontend/1',
    });
    const actions = waiting.actions as { type: string; verb?: string; data?: unknown }[];
    expect(actions.map((a) => a.verb ?? a.type)).toEqual([
      'gate-open',
      'gate-reject',
      'rollback-open',
      'Action.OpenUrl',
    ]);
    expect(actions[0]?.data).toEqual({
      namespace: 'web',
      name: 'frontend',
      rollout: r.startedAt,
      d: 'ops',
      u: 'https://x/rollouts/web/frontend/1',
    });
    expect(JSON.stringify(waiting.body)).toContain('"id":"reason"');
    const decided = rolloutCard(r, { namespace: 'web', name: 'frontend', decided: '✅ Approved by ana' });
    expect(JSON.stringify(decided)).not.toContain('Action.Execute');
    expect(JSON.stringify(decided.body)).toContain('✅ Approved by ana');
  });

  it('keeps event text from becoming a link', () => {
    const e = { ...(fixtures[0] as (typeof fixtures)[number]) };
    e.metadata = { ...e.metadata, eventMessage: 'see [this](https://evil.example) now' };
    const card = rolloutCard(reduce(undefined, e).rollout, { namespace: e.namespace, name: e.name });
    expect(JSON.stringify(card)).not.toMatch(/\]\(https:\/\/evil/);
    expect(JSON.stringify(card)).toContain('evil.example');
  });
});

describe('the Bot Connector, as Microsoft answers', () => {
  const tokenAnswer = (expiresIn = 3600) =>
    JSON.stringify({ token_type: 'Bearer', expires_in: expiresIn, access_token: 'tok-1' });
  async function setup(behave: Parameters<typeof startReceiver>[0], now = () => 1_000_000) {
    rx = await startReceiver(behave);
    const token = botToken({ appId: 'app', password: SECRET, tokenUrl: rx.url('/token') }, () => 2000, now);
    return { token, api: connector(rx.url('/svc/'), '19:c@thread.tacv2', token, () => 2000) };
  }

  it('asks for a token once (client credentials, as a form) and sends it as the bearer on every call until shortly before it expires', async () => {
    let now = 1_000_000;
    const { api } = await setup(
      (req, res) => {
        if (req.path === '/token')
          return answer(200, tokenAnswer(), { 'content-type': 'application/json' })(req, res, 0);
        answer(201, JSON.stringify({ id: 'a1' }), { 'content-type': 'application/json' })(req, res, 0);
      },
      () => now,
    );
    expect(await api.post({ type: 'message' })).toBe('a1');
    await api.post({ type: 'message' });
    const tokenCalls = () => rx?.received.filter((r) => r.path === '/token') ?? [];
    expect(tokenCalls()).toHaveLength(1);
    const form = new URLSearchParams(tokenCalls()[0]?.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: SECRET,
      scope: 'https://api.botframework.com/.default',
    });
    expect(tokenCalls()[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(
      rx?.received
        .filter((r) => r.path !== '/token')
        .every((r) => r.headers.authorization === 'Bearer tok-1'),
    ).toBe(true);
    expect(rx?.received.at(-1)?.path).toBe('/svc/v3/conversations/19%3Ac%40thread.tacv2/activities');
    // Five minutes before expiry it asks again.
    now += 3600_000 - 5 * 60_000;
    await api.post({ type: 'message' });
    expect(tokenCalls()).toHaveLength(2);
  });

  it('classifies: 401 forgets the token (retried), 403 is permanent, 404 on an update is a card that is gone, 429 keeps its Retry-After', async () => {
    let status = 401;
    const { api } = await setup((req, res) => {
      if (req.path === '/token')
        return answer(200, tokenAnswer(), { 'content-type': 'application/json' })(req, res, 0);
      answer(status, '{}', { 'content-type': 'application/json', 'retry-after': '7' })(req, res, 0);
    });
    await expect(api.post({})).rejects.toBeInstanceOf(RetryableDeliveryError);
    await api.post({}).catch(() => {});
    // The 401 made it ask for a new token.
    expect(rx?.received.filter((r) => r.path === '/token')).toHaveLength(2);
    status = 403;
    await expect(api.post({})).rejects.toThrow(/answered 403: is the bot installed in this conversation\?/);
    await expect(api.post({})).rejects.toBeInstanceOf(PermanentDeliveryError);
    status = 404;
    await expect(api.update('a1', {})).rejects.toBeInstanceOf(LiveMessageGoneError);
    await expect(api.post({})).rejects.toBeInstanceOf(PermanentDeliveryError);
    status = 429;
    const err = await api.post({}).catch((e) => e);
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect(err.retryAfterSeconds).toBe(7);
    status = 503;
    await expect(api.update('a1', {})).rejects.toBeInstanceOf(RetryableDeliveryError);
  });

  it('says a refused secret by its OAuth code, never the secret; an answer without an id is retried', async () => {
    const { api } = await setup(
      answer(400, JSON.stringify({ error: 'invalid_client', error_description: 'AADSTS7000215' }), {
        'content-type': 'application/json',
      }),
    );
    const err = (await api.post({}).catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toContain('invalid_client');
    expect(err.message).not.toContain(SECRET);
    await rx?.close();
    const next = await setup((req, res) => {
      if (req.path === '/token')
        return answer(200, tokenAnswer(), { 'content-type': 'application/json' })(req, res, 0);
      answer(201, '{}', { 'content-type': 'application/json' })(req, res, 0);
    });
    await expect(next.api.post({})).rejects.toThrow(
      'teams-bot Bot Connector answered without an activity id',
    );
  });

  it('updates with PUT on the activity and replies with replyToId', async () => {
    const { api } = await setup((req, res) => {
      if (req.path === '/token')
        return answer(200, tokenAnswer(), { 'content-type': 'application/json' })(req, res, 0);
      answer(200, '{"id":"a1"}', { 'content-type': 'application/json' })(req, res, 0);
    });
    await api.update('a1', { type: 'message' });
    await api.reply('a1', { type: 'message', text: 'failed' });
    const [put, reply] = (rx?.received ?? []).filter((r) => r.path !== '/token');
    expect(put?.path).toMatch(/\/activities\/a1$/);
    expect(put?.json).toEqual({ type: 'message', id: 'a1' });
    expect(reply?.json).toEqual({ type: 'message', text: 'failed', replyToId: 'a1' });
  });
});
