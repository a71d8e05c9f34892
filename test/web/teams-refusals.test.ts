// Every answer of POST /teams/messages said exactly, and the small facts of an accepted press
// (who, when, which identity a quorum counts, what the redrawn card says); the token checker's
// key cache and edges.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { botConnectorStandIn } from '../../lib/local/bot-connector';
import { handleGate } from '../../lib/web/gates';
import { BOT_OPENID_URL, botFrameworkVerifier, type TeamsCheck } from '../../lib/web/teams-auth';
import { handleTeamsActivity, type TeamsDestination } from '../../lib/web/teams-interactions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const APP = '00000000-0000-4000-8000-00000000b07e';
const SERVICE = 'https://smba.trafficmanager.net/emea/';
const OID = 'AAAAAAAA-0000-4000-8000-0000000000A1';
const NOW = Date.UTC(2026, 11, 2, 12);
const issuer = botConnectorStandIn(APP);
let server: Server;
let base = '';
let hits = 0;
let meta: (b: string) => unknown = (b) => issuer.openid(b);
beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (req.url === '/openid') hits++;
    const body = req.url === '/openid' ? meta(base) : await issuer.keys();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the token checker, in its edges', () => {
  it('trusts Microsoft’s metadata by default', () => {
    expect(BOT_OPENID_URL).toBe('https://login.botframework.com/v1/.well-known/openidconfiguration');
  });

  it('reads the issuer’s keys once a day, not per request', async () => {
    let now = Date.now();
    const verify = botFrameworkVerifier({ appId: APP, openIdUrl: `${base}/openid`, now: () => now });
    const token = `Bearer ${await issuer.sign(SERVICE)}`;
    hits = 0;
    expect(await verify(token, SERVICE)).toBe('ok');
    expect(await verify(token, SERVICE)).toBe('ok');
    expect(hits).toBe(1);
    now += 24 * 3600_000 - 1;
    await verify(token, SERVICE).catch(() => {});
    expect(hits).toBe(1);
    now += 1;
    await verify(token, SERVICE).catch(() => {});
    expect(hits).toBe(2);
  });

  it('refuses metadata without its keys’ address', async () => {
    meta = () => ({ issuer: 'x' });
    try {
      const verify = botFrameworkVerifier({ appId: APP, openIdUrl: `${base}/openid` });
      await expect(verify(`Bearer ${await issuer.sign(SERVICE)}`, SERVICE)).rejects.toThrow(
        'Bot Framework OpenID metadata has no jwks_uri',
      );
    } finally {
      meta = (b) => issuer.openid(b);
    }
  });

  it.each<[string, () => Promise<string | undefined>, unknown, TeamsCheck]>([
    ['text before the bearer', async () => `x Bearer ${await issuer.sign(SERVICE)}`, SERVICE, 'missing'],
    ['text after the token', async () => `Bearer ${await issuer.sign(SERVICE)} x`, SERVICE, 'missing'],
    [
      'an activity without a service URL',
      async () => `Bearer ${await issuer.sign(SERVICE)}`,
      undefined,
      'wrong-service-url',
    ],
    [
      'a payload altered after signing (another issuer)',
      async () => {
        const t = await issuer.sign(SERVICE);
        // Its payload swapped for one naming another issuer, the signature kept.
        const [h] = t.split('.');
        return `Bearer ${h}.${Buffer.from(JSON.stringify({ iss: 'https://evil.example', aud: APP, serviceurl: SERVICE, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.${t.split('.')[2]}`;
      },
      SERVICE,
      'invalid',
    ],
    [
      'an HS256 token',
      async () =>
        `Bearer ${await new SignJWT({ serviceurl: SERVICE })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('https://api.botframework.com')
          .setAudience(APP)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode('x'.repeat(32)))}`,
      SERVICE,
      'invalid',
    ],
  ])('refuses %s', async (_, header, serviceUrl, want) => {
    expect(
      await botFrameworkVerifier({ appId: APP, openIdUrl: `${base}/openid` })(await header(), serviceUrl),
    ).toBe(want);
  });
});

describe('POST /teams/messages, answered exactly', () => {
  const canary = { namespace: 'web', name: 'frontend' };
  async function setup(destinations: Record<string, TeamsDestination> = { ops: { approvers: [] } }) {
    const stories = memoryStories();
    const gates = memoryGates();
    for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
      await storyOf(stories, e, eventIdentity(e));
    const rollout = (await stories.get(canary))?.value.rollout.startedAt as number;
    const deps = {
      verify: botFrameworkVerifier({ appId: APP, openIdUrl: `${base}/openid` }),
      destinations,
      firstSeen: async () => true,
      stories,
      gates,
      now: () => NOW,
    };
    let n = 0;
    const send = async (activity: unknown, auth = true) =>
      handleTeamsActivity(
        auth ? { authorization: `Bearer ${await issuer.sign(SERVICE)}` } : {},
        typeof activity === 'string' ? activity : JSON.stringify(activity),
        deps,
      );
    const invoke = (
      over: Record<string, unknown> = {},
      action: Record<string, unknown> = {},
      data: Record<string, unknown> = {},
    ) => ({
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: `a-${++n}`,
      serviceUrl: SERVICE,
      from: { id: '29:ana', aadObjectId: OID, name: 'Ana' },
      conversation: { id: '19:c@thread.tacv2' },
      value: {
        action: {
          type: 'Action.Execute',
          verb: 'gate-open',
          data: { ...canary, rollout, d: 'ops', ...data },
          ...action,
        },
      },
      ...over,
    });
    const press = (
      over?: Record<string, unknown>,
      action?: Record<string, unknown>,
      data?: Record<string, unknown>,
    ) => send(invoke(over, action, data));
    const audit = async () => (await gates.get(canary))?.value.audit ?? [];
    const check = async (kind: 'gate' | 'rollback' = 'gate') =>
      (await handleGate(kind, 'check', canary, { by: 'f', how: 'api' }, { stories, gates })).statusCode;
    return { send, press, invoke, audit, check, deps };
  }
  const msg = (value: string) => ({
    statusCode: 200,
    body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value },
  });
  const NOT_A_PRESS = {
    statusCode: 400,
    body: { error: 'value.action: not an Approve, Reject or Roll back press' },
  };

  it.each<
    [
      string,
      (s: Awaited<ReturnType<typeof setup>>) => ReturnType<Awaited<ReturnType<typeof setup>>['send']>,
      unknown,
    ]
  >([
    [
      'a body that is not JSON',
      (s) => s.send('{'),
      { statusCode: 400, body: { error: 'body: not a Bot Framework activity' } },
    ],
    [
      'a body that is a list',
      (s) => s.send('[]'),
      { statusCode: 400, body: { error: 'body: not a Bot Framework activity' } },
    ],
    [
      'no token',
      (s) => s.send(s.invoke(), false),
      { statusCode: 401, body: { error: 'request refused: missing Bot Framework token' } },
    ],
    ['another invoke', (s) => s.press({ name: 'composeExtension/query' }), { statusCode: 200, body: {} }],
    ['an install', (s) => s.press({ type: 'conversationUpdate' }), { statusCode: 200, body: {} }],
    [
      'an install without a conversation',
      (s) => s.press({ type: 'conversationUpdate', conversation: 'x' }),
      { statusCode: 200, body: {} },
    ],
    ['no activity id', (s) => s.press({ id: 5 }), msg('Already handled: nothing changed.')],
    ['no value', (s) => s.press({ value: 'x' }), NOT_A_PRESS],
    ['an action that is not an object', (s) => s.press({ value: { action: 'x' } }), NOT_A_PRESS],
    ['an Action.Submit', (s) => s.press({}, { type: 'Action.Submit' }), NOT_A_PRESS],
    ['a verb that is a number', (s) => s.press({}, { verb: 5 }), NOT_A_PRESS],
    ['no data', (s) => s.press({}, { data: 'x' }), NOT_A_PRESS],
    ['a numeric name', (s) => s.press({}, {}, { name: 5 }), NOT_A_PRESS],
    ['no from', (s) => s.press({ from: 'x' }), { statusCode: 400, body: { error: 'from: no Teams user' } }],
    [
      'a from without its object id',
      (s) => s.press({ from: { id: '29:a' } }),
      { statusCode: 400, body: { error: 'from: no Teams user' } },
    ],
    [
      'a from without its id',
      (s) => s.press({ from: { aadObjectId: OID } }),
      { statusCode: 400, body: { error: 'from: no Teams user' } },
    ],
    [
      'a destination gone',
      (s) => s.press({}, {}, { d: 'gone' }),
      msg('The destination that drew this card is no longer configured: nothing changed.'),
    ],
    [
      'a canary of another cluster',
      (s) => s.press({}, {}, { c: 'prod-eu' }),
      msg('This rollout has ended or another one is running: nothing changed.'),
    ],
    [
      'a canary with no rollout',
      (s) => s.press({}, {}, { name: 'other' }),
      msg('This rollout has ended or another one is running: nothing changed.'),
    ],
  ])('%s', async (_, act, want) => {
    const s = await setup();
    expect(await act(s)).toEqual(want);
    expect(await s.audit()).toEqual([]);
  });

  it('a card without its destination belongs to the only one, and to none of two', async () => {
    const one = await setup();
    expect((await one.press({}, {}, { d: undefined })).body).toMatchObject({
      type: 'application/vnd.microsoft.card.adaptive',
    });
    const two = await setup({ a: { approvers: [] }, b: { approvers: [] } });
    expect(await two.press({}, {}, { d: undefined })).toEqual(
      msg('The destination that drew this card is no longer configured: nothing changed.'),
    );
  });

  it('says the keys cannot be read now (503), changing nothing', async () => {
    const s = await setup();
    s.deps.verify = async () => {
      throw new Error('down');
    };
    expect(await s.press()).toEqual({
      statusCode: 503,
      body: { error: 'cannot check the Bot Framework token now' },
    });
  });

  it('records when and who: the name cut to 64, someone when Teams gives none, and answers the same press again as done', async () => {
    const s = await setup();
    await s.press({ from: { id: '29:a', aadObjectId: OID, name: 'n'.repeat(100) } });
    expect((await s.audit())[0]).toMatchObject({ at: NOW, by: `${'n'.repeat(64)} (${OID})`, how: 'teams' });
    expect(await s.press({ from: { id: '29:a', aadObjectId: OID } })).toEqual(msg('Gate already open.'));
    const t = await setup();
    await t.press({ from: { id: '29:a', aadObjectId: OID } });
    expect((await t.audit())[0]?.by).toBe(`someone (${OID})`);
  });

  it('says who decided on the card redrawn: approved, rolled back, rejected with the reason (one line, 300 characters)', async () => {
    const s = await setup();
    const card = (r: Awaited<ReturnType<typeof s.press>>) =>
      JSON.stringify((r.body as { value: unknown }).value);
    expect(card(await s.press({}, { verb: 'rollback-open' }))).toContain(
      '"text":"↩️ Rollback requested by Ana"',
    );
    expect(await s.check('rollback')).toBe(200);
    const r = await s.press({}, { verb: 'gate-reject' }, { reason: ` a \n b ${'x'.repeat(400)}` });
    expect((await s.audit()).at(-1)?.rejected).toBe(`a b ${'x'.repeat(296)}`);
    expect(card(r)).toContain(`"text":"❌ Rejected by Ana: a b ${'x'.repeat(296)}"`);
    const t = await setup();
    expect(card(await t.press())).toContain('"text":"✅ Approved by Ana"');
  });

  it('keeps the card’s rollout-page link on the card it redraws, and only such a link', async () => {
    const s = await setup();
    const link = 'https://api.example/rollouts/web/frontend/1?exp=1&sig=x&k=y';
    const actions = (r: Awaited<ReturnType<typeof s.press>>) =>
      (r.body as { value: { actions?: { type: string; url?: string }[] } }).value.actions ?? [];
    expect(actions(await s.press({}, { verb: 'rollback-open' }, { u: link }))).toEqual([
      { type: 'Action.OpenUrl', title: 'Rollout details', url: link },
    ]);
    const t = await setup();
    expect(actions(await t.press({}, {}, { u: 'javascript:alert(1)//rollouts/' }))).toEqual([]);
  });

  it('approvers: object ids in any case, UPNs (or the e-mail) from the conversation, read only when needed', async () => {
    const calls: string[] = [];
    const member =
      (answer: () => Promise<{ userPrincipalName?: string; email?: string }>) => async (id: string) => {
        calls.push(id);
        return answer();
      };
    const byId = await setup({
      ops: { approvers: [OID.toLowerCase()], api: { member: member(async () => ({})) } },
    });
    expect((await byId.press()).body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
    expect(calls).toEqual([]);
    const byEmail = await setup({
      ops: {
        approvers: ['ana@contoso.com'],
        api: { member: member(async () => ({ email: 'ANA@contoso.com' })) },
      },
    });
    expect((await byEmail.press()).body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
    const unreadable = await setup({
      ops: {
        approvers: ['ana@contoso.com'],
        api: { member: member(async () => Promise.reject(new Error('403'))) },
      },
    });
    expect(await unreadable.press()).toEqual(msg(`${OID} is not an approver: nothing changed.`));
    const anyone = await setup({
      ops: { approvers: [], api: { member: member(async () => Promise.reject(new Error('403'))) } },
    });
    expect((await anyone.press()).body).toMatchObject({ type: 'application/vnd.microsoft.card.adaptive' });
  });

  it('a quorum counts a person once by object id whatever its case, and the card keeps its buttons with the count', async () => {
    const s = await setup({ ops: { approvers: [], minApprovals: 2 } });
    const one = await s.press();
    const card = (
      one.body as {
        value: { body: { text?: string; wrap?: boolean }[]; actions: { data?: { d?: string } }[] };
      }
    ).value;
    expect(card.body.at(-1)).toEqual({
      type: 'TextBlock',
      text: '👍 Approval 1 of 2 recorded: 1 more needed (Ana)',
      wrap: true,
    });
    expect(card.actions[0]?.data?.d).toBe('ops');
    expect(
      (await s.press({ from: { id: '29:b', aadObjectId: OID.toLowerCase(), name: 'Ana' } })).body,
    ).toMatchObject({
      value: 'Your approval is already counted (1 of the approvals needed).',
    });
    expect(await s.check()).toBe(403);
  });
});
