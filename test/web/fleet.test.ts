// The fleet page: who may open it (a signed link, or a listed approver through the SSO proxy),
// what it shows and in which order, its filters, its buttons (only where a rollout page may act,
// posting to that page) and that hostile metadata stays text.
import { describe, expect, it } from 'vitest';
import type { FleetRow } from '../../lib/rollouts/fleet';
import { checkLink, signedLink } from '../../lib/rollouts/links';
import type { Story } from '../../lib/rollouts/story';
import type { Rollout } from '../../lib/rollouts/tracker';
import { FLEET_PATH, fleetPath, handleFleet } from '../../lib/web/fleet';
import { checkNonce } from '../../lib/web/nonce';
import type { PageApprovers } from '../../lib/web/page-actions';

const SECRET = 'test-link-secret-0123456789abcdef0123';
const NOW = Date.UTC(2026, 11, 7, 12);
const LISTED: PageApprovers = {
  mode: 'listed',
  emails: ['ana@example.com'],
  header: 'x-forwarded-email',
  minApprovals: 1,
};
const OFF: PageApprovers = { mode: 'off', emails: [], header: 'x-forwarded-email', minApprovals: 1 };

function row(
  name: string,
  status: Rollout['status'],
  o: { cluster?: string; meta?: Record<string, string>; updatedAt?: number; gates?: Rollout['gates'] } = {},
): FleetRow {
  const startedAt = NOW - 3600_000;
  const story: Story = {
    namespace: 'shop',
    name,
    ...(o.cluster ? { cluster: o.cluster } : {}),
    rollout: {
      canary: `${name}.shop`,
      status,
      startedAt,
      updatedAt: o.updatedAt ?? startedAt,
      ...(['promoted', 'failed'].includes(status) ? { endedAt: startedAt + 600_000 } : {}),
      passed: [],
      failed: [],
      gates: o.gates ?? [],
      lastMessage: '',
      lastKind: 'other',
      events: 3,
    },
    events: [],
    overflow: 0,
    destinations: {},
  };
  return {
    entry: {
      namespace: 'shop',
      name,
      ...(o.cluster ? { cluster: o.cluster } : {}),
      ...(o.meta ? { meta: o.meta } : {}),
      startedAt,
      history: [],
    },
    story,
  };
}

const ROWS: FleetRow[] = [
  row('cart', 'promoted', { cluster: 'prod-eu', meta: { team: 'payments' }, updatedAt: NOW - 10_000 }),
  row('search', 'progressing', { cluster: 'prod-us', meta: { team: 'discovery' } }),
  row('checkout', 'failed', { cluster: 'prod-eu', meta: { team: 'payments' } }),
  row('feed', 'waiting', {
    cluster: 'prod-us',
    meta: { team: '<img src=x onerror=alert(1)>' },
    gates: [{ name: 'gate-keeper', passed: false }],
  }),
];
const fleet = { list: async () => ROWS, started: async () => {} };

const link = signedLink(SECRET, '', FLEET_PATH, NOW);
const q = Object.fromEntries(new URL(link, 'http://x').searchParams);
const get = (
  query: Record<string, string>,
  o: { headers?: Record<string, string>; approvers?: PageApprovers; method?: string } = {},
) =>
  handleFleet(
    {
      method: o.method ?? 'GET',
      route: FLEET_PATH,
      params: {},
      query,
      ...(o.headers ? { headers: o.headers } : {}),
    },
    { fleet, secret: SECRET, approvers: o.approvers ?? OFF, now: () => NOW },
  );
const order = (body: string) => [...body.matchAll(/data-canary="([^"]+)"/g)].map((m) => m[1]);

describe('the fleet page', () => {
  it('opens from a signed link: failing first, then waiting, running, the rest by most recent', async () => {
    const res = await get(q);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(order(res.body)).toEqual([
      'prod-eu/shop/checkout',
      'prod-us/shop/feed',
      'prod-us/shop/search',
      'prod-eu/shop/cart',
    ]);
    // Each row opens its rollout's page, through a link the page accepts.
    const href = /href="(\/clusters\/prod-eu\/rollouts\/shop\/checkout\/\d+\?[^"]+)"/
      .exec(res.body)?.[1]
      ?.replace(/&amp;/g, '&') as string;
    const u = new URL(href, 'http://x');
    expect(
      checkLink(SECRET, u.pathname, u.searchParams.get('exp') ?? '', u.searchParams.get('sig') ?? '', NOW),
    ).toBe('ok');
  });

  it('refuses a missing, tampered, expired or foreign link, naming no canary', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'Link missing'],
      [{ ...q, sig: `${q.sig?.slice(0, -1)}${q.sig?.endsWith('A') ? 'B' : 'A'}` }, 'Link tampered'],
      [
        Object.fromEntries(
          new URL(signedLink(SECRET, '', FLEET_PATH, NOW - 31 * 24 * 3600_000), 'http://x').searchParams,
        ),
        'Link expired',
      ],
      [
        Object.fromEntries(
          new URL(signedLink('another-secret-0123456789abcdef0123456', '', FLEET_PATH, NOW), 'http://x')
            .searchParams,
        ),
        'Link from another secret',
      ],
      // A rollout page's link is not the fleet's.
      [
        Object.fromEntries(
          new URL(signedLink(SECRET, '', '/rollouts/shop/cart/1', NOW), 'http://x').searchParams,
        ),
        'Link tampered',
      ],
    ];
    for (const [query, title] of cases) {
      const res = await get(query);
      expect(res.statusCode, title).toBe(403);
      expect(res.body).toContain(`<h1>${title}</h1>`);
      expect(res.body).not.toContain('checkout');
    }
  });

  it('opens without a link for an approver the SSO proxy names, and only for one', async () => {
    expect(
      (await get({}, { approvers: LISTED, headers: { 'x-forwarded-email': 'Ana@Example.com' } })).statusCode,
    ).toBe(200);
    expect(
      (await get({}, { approvers: LISTED, headers: { 'x-forwarded-email': 'eve@example.com' } })).statusCode,
    ).toBe(403);
    // Without PAGE_APPROVERS listing emails the header counts for nothing.
    expect(
      (await get({}, { approvers: OFF, headers: { 'x-forwarded-email': 'ana@example.com' } })).statusCode,
    ).toBe(403);
  });

  it('filters by cluster, namespace and metadata, keeping the link in the filter form', async () => {
    expect(order((await get({ ...q, cluster: 'prod-eu' })).body)).toEqual([
      'prod-eu/shop/checkout',
      'prod-eu/shop/cart',
    ]);
    expect(order((await get({ ...q, team: 'discovery' })).body)).toEqual(['prod-us/shop/search']);
    expect(order((await get({ ...q, cluster: 'prod-eu', team: 'discovery' })).body)).toEqual([]);
    const body = (await get({ ...q, namespace: 'shop', team: '' })).body;
    expect(order(body)).toHaveLength(4);
    expect(body).toContain(`<input type="hidden" name="sig" value="${q.sig}">`);
    expect(body).toContain('<option value="prod-eu">prod-eu</option>');
    expect((await get({ ...q, cluster: 'prod-eu' })).body).toContain(
      '<option value="prod-eu" selected>prod-eu</option>',
    );
  });

  it('shows Approve and Roll back only where a rollout page may act, posting to that rollout’s page with its nonce', async () => {
    expect((await get(q)).body).not.toContain('name="action"');
    const body = (await get(q, { approvers: LISTED })).body;
    const forms = [
      ...body.matchAll(
        /<form class="gate" method="post" action="([^"]+)"><input type="hidden" name="nonce" value="([^"]+)">/g,
      ),
    ];
    expect(forms).toHaveLength(1);
    const action = new URL((forms[0]?.[1] ?? '').replace(/&amp;/g, '&'), 'http://x');
    expect(action.pathname).toMatch(/^\/clusters\/prod-us\/rollouts\/shop\/feed\/\d+$/);
    expect(checkNonce(SECRET, action.pathname, forms[0]?.[2], NOW)).toBe('ok');
    expect(body).toContain('gate-keeper');
  });

  it('a digest’s link shows only the canaries it covers: its scope is signed, and filters narrow within it', async () => {
    const path = fleetPath([{ metadata: { team: ['payments'] } }]);
    const scoped = Object.fromEntries(new URL(signedLink(SECRET, '', path, NOW), 'http://x').searchParams);
    const res = await get(scoped);
    expect(res.statusCode).toBe(200);
    expect(order(res.body)).toEqual(['prod-eu/shop/checkout', 'prod-eu/shop/cart']);
    expect(res.body).toContain('This link shows the canaries of one digest: team payments.');
    expect(order((await get({ ...scoped, team: 'discovery' })).body)).toEqual([]);
    // Without its scope, or with another, the signature no longer holds.
    const { scope: _, ...unscoped } = scoped;
    expect((await get(unscoped)).statusCode).toBe(403);
    const other = Buffer.from(JSON.stringify([{ metadata: { team: ['discovery'] } }])).toString('base64url');
    expect((await get({ ...scoped, scope: other })).statusCode).toBe(403);
    expect((await get({ ...scoped, scope: 'not-json' })).statusCode).toBe(403);
  });

  it('says how to get a link when there is none, and that the page is off without a link secret', async () => {
    const missing = await get({});
    expect(missing.body).toContain(
      'The fleet page opens from a signed link (npx flagger-notify link fleet) or, where PAGE_APPROVERS lists emails, through your SSO proxy.',
    );
    const off = await handleFleet({ method: 'GET', route: FLEET_PATH, params: {}, query: q }, { fleet });
    expect(off.statusCode).toBe(404);
    expect(off.body).toContain('<h1>The fleet page is off</h1>');
    expect(off.body).toContain('This stack has no LINK_SECRET');
    // The SSO header, with the spaces a proxy may leave around it.
    expect(
      (await get({}, { approvers: LISTED, headers: { 'x-forwarded-email': ' ana@example.com ' } }))
        .statusCode,
    ).toBe(200);
  });

  it('a scope signed with the link but unreadable is refused; filter keys that are no metadata key are ignored', async () => {
    const bad = Object.fromEntries(
      new URL(signedLink(SECRET, '', '/fleet?scope=bm90LWpzb24', NOW), 'http://x').searchParams,
    );
    const res = await get(bad);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('<h1>Link tampered</h1>');
    expect(order((await get({ ...q, 'not a key!': 'x', [`k${'x'.repeat(70)}`]: 'y' })).body)).toHaveLength(4);
    // Two matches in words, each criterion said.
    const two = fleetPath([
      { namespace: ['shop'], cluster: ['prod-eu', 'prod-us'] },
      { metadata: { team: ['payments'] } },
    ]);
    const body = (
      await get(Object.fromEntries(new URL(signedLink(SECRET, '', two, NOW), 'http://x').searchParams))
    ).body;
    expect(body).toContain(
      'This link shows the canaries of one digest: cluster prod-eu or prod-us, namespace shop; team payments.',
    );
  });

  it('a canary whose story is gone is listed, without a link or state', async () => {
    const bare: FleetRow = { entry: { namespace: 'old', name: 'gone', startedAt: NOW - 1000, history: [] } };
    const res = await handleFleet(
      { method: 'HEAD', route: FLEET_PATH, params: {}, query: q },
      { fleet: { list: async () => [bare], started: async () => {} }, secret: SECRET, now: () => NOW },
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<td>old / gone</td><td><span class="muted">unknown</span>');
  });

  it('keeps hostile metadata as text, and answers anything but GET with 405', async () => {
    const body = (await get(q)).body;
    expect(body).not.toContain('<img');
    expect(body).toContain('team=&lt;img src=x onerror=alert(1)&gt;');
    const post = await get(q, { method: 'POST' });
    expect(post.statusCode).toBe(405);
    expect(post.body).toContain('<h1>Method not allowed</h1>');
    expect(post.body).toContain('The fleet page is read with GET; its buttons post to each rollout’s page.');
  });
});
