// POST /teams/messages: the Bot Framework token checked (each claim, both sides of the skew), and
// every press refused or accepted as the gate rules say, changing nothing when refused.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import { botConnectorStandIn } from '../../lib/local/bot-connector';
import { handleGate } from '../../lib/web/gates';
import { botFrameworkVerifier } from '../../lib/web/teams-auth';
import { handleTeamsActivity, type TeamsDestination } from '../../lib/web/teams-interactions';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const APP = '00000000-0000-4000-8000-00000000b07e';
const SERVICE = 'https://smba.trafficmanager.net/emea/';
const issuer = botConnectorStandIn(APP);
let server: Server;
let openIdUrl = '';
let down = false;
beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (down) return res.writeHead(503).end();
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = req.url === '/openid' ? issuer.openid(base) : await issuer.keys();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  openIdUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openid`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the Bot Framework token', () => {
  const verify = () => botFrameworkVerifier({ appId: APP, openIdUrl });
  it('takes the issuer’s RS256 token for this app and this service URL', async () => {
    expect(await verify()(`Bearer ${await issuer.sign(SERVICE)}`, SERVICE)).toBe('ok');
  });

  it.each([
    ['no header', async () => undefined, 'missing'],
    ['not a bearer JWT', async () => 'Basic abc', 'missing'],
    [
      'another app’s',
      async () =>
        `Bearer ${await issuer.sign(SERVICE, { audience: '11111111-0000-4000-8000-000000000000' })}`,
      'wrong-audience',
    ],
    [
      'signed by another key',
      async () =>
        `Bearer ${await issuer.sign(SERVICE, { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })}`,
      'invalid',
    ],
    [
      'expired over 5 minutes ago',
      async () => `Bearer ${await issuer.sign(SERVICE, { expiresIn: '-301s' })}`,
      'expired',
    ],
  ])('refuses %s', async (_, header, want) => {
    expect(await verify()(await header(), SERVICE)).toBe(want);
  });

  it('allows 5 minutes of clock skew, not more', async () => {
    expect(await verify()(`Bearer ${await issuer.sign(SERVICE, { expiresIn: '-290s' })}`, SERVICE)).toBe(
      'ok',
    );
  });

  it('refuses a token for another service URL than the activity’s', async () => {
    expect(await verify()(`Bearer ${await issuer.sign(SERVICE)}`, 'https://evil.example/')).toBe(
      'wrong-service-url',
    );
  });

  it('throws when the keys cannot be read (the endpoint answers 503, changing nothing)', async () => {
    down = true;
    try {
      await expect(verify()(`Bearer ${await issuer.sign(SERVICE)}`, SERVICE)).rejects.toThrow(/answered 503/);
    } finally {
      down = false;
    }
  });
});

describe('a press on the card', () => {
  const canary = { namespace: 'web', name: 'frontend' };
  async function setup(dest: TeamsDestination = { approvers: [] }) {
    const stories = memoryStories();
    const gates = memoryGates();
    for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
      await storyOf(stories, e, eventIdentity(e));
    const rollout = (await stories.get(canary))?.value.rollout.startedAt as number;
    const seen = new Set<string>();
    const deps = {
      verify: botFrameworkVerifier({ appId: APP, openIdUrl }),
      destinations: { ops: dest },
      firstSeen: async (id: string) => !seen.has(id) && Boolean(seen.add(id)),
      stories,
      gates,
      now: () => Date.UTC(2026, 11, 2, 12),
    };
    let n = 0;
    const press = async (
      verb: string,
      o: { data?: object; from?: object; type?: string; auth?: string | null } = {},
    ) => {
      const activity = {
        type: o.type ?? 'invoke',
        name: 'adaptiveCard/action',
        id: `act-${++n}`,
        serviceUrl: SERVICE,
        from: { id: '29:ana', aadObjectId: 'AAAAAAAA-0000-4000-8000-0000000000a1', name: 'Ana', ...o.from },
        conversation: { id: '19:c@thread.tacv2' },
        value: {
          action: { type: 'Action.Execute', verb, data: { ...canary, rollout, d: 'ops', ...o.data } },
        },
      };
      const auth = o.auth === null ? undefined : (o.auth ?? `Bearer ${await issuer.sign(SERVICE)}`);
      return handleTeamsActivity(auth ? { authorization: auth } : {}, JSON.stringify(activity), deps);
    };
    const check = async () =>
      (await handleGate('gate', 'check', canary, { by: 'f', how: 'api' }, { stories, gates })).statusCode;
    const audit = async () => (await gates.get(canary))?.value.audit ?? [];
    return { press, check, audit, deps };
  }
  const text = (r: { body: unknown }) => (r.body as { value?: unknown }).value;

  it('Approve opens the gate, audited as done in Teams, and answers the card redrawn with who', async () => {
    const s = await setup();
    const r = await s.press('gate-open');
    expect(r.statusCode).toBe(200);
    expect((r.body as { type: string }).type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(text(r))).toContain('✅ Approved by Ana');
    expect(await s.check()).toBe(200);
    expect(await s.audit()).toEqual([
      expect.objectContaining({ how: 'teams', by: 'Ana (AAAAAAAA-0000-4000-8000-0000000000a1)' }),
    ]);
  });

  it('refuses an unsigned press (401), and the same activity twice', async () => {
    const s = await setup();
    expect((await s.press('gate-open', { auth: null })).statusCode).toBe(401);
    expect(await s.check()).toBe(403);
    const first = await s.press('gate-open');
    expect(first.statusCode).toBe(200);
    const replay = await handleTeamsActivity(
      { authorization: `Bearer ${await issuer.sign(SERVICE)}` },
      JSON.stringify({ type: 'invoke', name: 'adaptiveCard/action', id: 'act-2', serviceUrl: SERVICE }),
      s.deps,
    );
    expect(text(replay)).toBe('Already handled: nothing changed.');
  });

  it('acknowledges an install or a message and changes nothing', async () => {
    const s = await setup();
    expect(await s.press('gate-open', { type: 'conversationUpdate' })).toEqual({ statusCode: 200, body: {} });
    expect(await s.audit()).toEqual([]);
  });

  it.each([
    ['an unknown verb', 'gate-close', {}, 400],
    ['a button without its canary', 'gate-open', { data: { namespace: 1 } }, 400],
    ['no Teams user', 'gate-open', { from: { aadObjectId: 5 } }, 400],
  ])('refuses %s (%i)', async (_, verb, o, status) => {
    const s = await setup();
    expect((await s.press(verb, o)).statusCode).toBe(status);
    expect(await s.audit()).toEqual([]);
  });

  it('lets only approvers act: by object id, or by UPN read from the conversation', async () => {
    const byId = await setup({ approvers: ['bbbbbbbb-0000-4000-8000-0000000000b2'] });
    expect(text(await byId.press('gate-open'))).toBe(
      'AAAAAAAA-0000-4000-8000-0000000000a1 is not an approver: nothing changed.',
    );
    expect(await byId.check()).toBe(403);
    expect(
      (await byId.press('gate-open', { from: { aadObjectId: 'BBBBBBBB-0000-4000-8000-0000000000B2' } }))
        .statusCode,
    ).toBe(200);
    const member = async () => ({ userPrincipalName: 'Ana@Contoso.com' });
    const byUpn = await setup({ approvers: ['ana@contoso.com'], api: { member } });
    expect(JSON.stringify(text(await byUpn.press('gate-open')))).toContain('Approved by Ana');
    expect((await byUpn.audit())[0]?.by).toBe('Ana <ana@contoso.com> (AAAAAAAA-0000-4000-8000-0000000000a1)');
  });

  it('refuses a rollout that moved on, and Reject without a reason; rejects with one', async () => {
    const s = await setup();
    expect(text(await s.press('gate-open', { data: { rollout: 1 } }))).toBe(
      'This rollout has ended or another one is running: nothing changed.',
    );
    expect(text(await s.press('gate-reject'))).toBe('Type a reason in the card to reject.');
    const r = await s.press('gate-reject', { data: { reason: ' p99\n up ' } });
    expect(JSON.stringify(text(r))).toContain('❌ Rejected by Ana: p99 up');
    expect((await s.audit())[0]?.rejected).toBe('p99 up');
    expect(text(await s.press('gate-open'))).toMatch(/^Gate rejected by Ana/);
  });

  it('takes a press only from the conversation its destination posts to (a channel reply’s id included)', async () => {
    const s = await setup({ approvers: [], conversation: '19:c@thread.tacv2' });
    const other = await handleTeamsActivity(
      { authorization: `Bearer ${await issuer.sign(SERVICE)}` },
      JSON.stringify({
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: 'elsewhere-1',
        serviceUrl: SERVICE,
        from: { id: '29:ana', aadObjectId: 'AAAAAAAA-0000-4000-8000-0000000000a1', name: 'Ana' },
        conversation: { id: '19:other@thread.tacv2' },
        value: {
          action: { type: 'Action.Execute', verb: 'gate-open', data: { ...canary, rollout: 1, d: 'ops' } },
        },
      }),
      s.deps,
    );
    expect(text(other)).toBe(
      'This card is not from the conversation its destination posts to: nothing changed.',
    );
    expect(await s.audit()).toEqual([]);
    expect((await s.press('gate-open')).statusCode).toBe(200);
  });

  it('counts a quorum, keeping the buttons until it is reached', async () => {
    const s = await setup({ approvers: [], minApprovals: 2 });
    const one = await s.press('gate-open');
    expect(JSON.stringify(text(one))).toContain('Approval 1 of 2 recorded');
    expect(JSON.stringify(text(one))).toContain('gate-open');
    expect(await s.check()).toBe(403);
    await s.press('gate-open', { from: { aadObjectId: 'cccccccc-0000-4000-8000-0000000000c3', name: 'Cy' } });
    expect(await s.check()).toBe(200);
  });
});
