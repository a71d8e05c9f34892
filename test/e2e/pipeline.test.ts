// npm start's command end to end: a whole rollout, bad requests, routing files, memory.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, post, receiver, startPipeline, stop } from '../helpers/pipeline';
import { answer, type Received, type Receiver, startReceiver } from '../helpers/receiver';

const TOKEN = 'e2e-token-0123456789abcdef';
let probes = 0;
const SECRET = 'SECRETPATHSECRET';

describe('local pipeline end to end (npm start)', () => {
  let slack: Receiver;
  let teams: Receiver;
  let pipeline: Awaited<ReturnType<typeof startPipeline>>;
  const podinfo = fixtureLines.filter((l) => l.includes('"podinfo"'));
  const checkout = fixtureLines.filter((l) => l.includes('"checkout"'));

  beforeAll(async () => {
    slack = await startReceiver(answer(200, 'ok'));
    // Teams fails its 3rd request once: the message must come back and keep its canary's order.
    teams = await startReceiver((_r, res, n) => {
      res.writeHead(n === 3 ? 502 : 202);
      res.end();
    });
    pipeline = await startPipeline({
      SLACK_WEBHOOK_URL: slack.url(`/services/${SECRET}`),
      TEAMS_WEBHOOK_URL: teams.url(`/workflows/${SECRET}`),
      INGEST_TOKEN: TOKEN,
    });
  });
  afterAll(async () => {
    await stop(pipeline?.child);
    await slack?.close();
    await teams?.close();
  });

  const post = (body: string, { path = `?token=${TOKEN}`, type = 'application/json' } = {}) =>
    fetch(`${pipeline.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('delivers a whole rollout of two canaries to both channels once each, in per-canary order', async () => {
    const t0 = Date.now();
    const send = async (lines: string[]) => {
      for (const l of lines) {
        const res = await post(l);
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({
          status: 'queued',
          providers: ['slack', 'teams'],
          destinations: ['slack', 'teams'],
        });
      }
    };
    await Promise.all([send(podinfo), send(checkout)]);
    const total = podinfo.length + checkout.length;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (slack.received.length < total || teams.received.length < total + 1)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // Each fixture has its own timestamp, which both formats show: a stable key.
    const order = (received: Received[], lines: string[]) => {
      // To the second: Slack shows an ISO time, Teams one in DATE()/TIME() (without ms).
      const keys = lines.map((l) =>
        new Date(Number(JSON.parse(l).metadata.timestamp)).toISOString().slice(0, 19),
      );
      return received.map((r) => keys.findIndex((k) => r.body.includes(k))).filter((i) => i >= 0);
    };
    // Teams' failed 3rd request is left out: what it finally accepted must be every event once, in order.
    const teamsAccepted = teams.received.filter((_, i) => i !== 2);
    for (const lines of [podinfo, checkout]) {
      const all = lines.map((_, i) => i);
      expect(order(slack.received, lines)).toEqual(all);
      expect(order(teamsAccepted, lines)).toEqual(all);
    }
    expect(teams.received).toHaveLength(total + 1);
    console.log(
      `e2e: ${total} events × 2 channels delivered in ${Date.now() - t0} ms (one 502 retried after ~1 s)`,
    );
  }, 60_000);

  it('mirrors what the configured webhooks accepted into the inbox, by host, never by URL', async () => {
    const base = pipeline.url.replace(/\/events$/, '');
    const items = (await (await fetch(`${base}/inbox/messages`)).json()) as {
      provider: string;
      via?: string;
    }[];
    const by = (provider: string) => items.filter((i) => i.provider === provider);
    // Every accepted delivery so far (Teams' 502 was not accepted, so it is not shown).
    expect(by('slack')).toHaveLength(slack.received.length);
    expect(by('teams')).toHaveLength(teams.received.filter((_, i) => i !== 2).length);
    expect(new Set(items.map((i) => i.via))).toEqual(
      new Set([new URL(slack.url()).host, new URL(teams.url()).host]),
    );
    expect(JSON.stringify(items)).not.toContain(SECRET);
  });

  it('measures one event from POST to both webhooks', async () => {
    const [s0, t0] = [slack.received.length, teams.received.length];
    const start = Date.now();
    expect((await post(fixtureLines.at(-1) as string)).status).toBe(202);
    const deadline = start + 5_000;
    while ((slack.received.length === s0 || teams.received.length === t0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(slack.received.length).toBe(s0 + 1);
    expect(teams.received.length).toBe(t0 + 1);
    const ms = Math.max(slack.received.at(-1)?.at ?? 0, teams.received.at(-1)?.at ?? 0) - start;
    console.log(`e2e: one event reached Slack and Teams ${ms} ms after the POST`);
    // Locally, with pacing short: well under a second (a regression to seconds would show here).
    expect(ms).toBeLessThan(2_000);
  });

  it.each([
    ['malformed JSON', 400, '{"name":', {}, 'body is not valid JSON'],
    ['a schema violation', 400, JSON.stringify({ name: 'x' }), {}, 'namespace'],
    ['a wrong content type', 415, fixtureLines[0] as string, { type: 'text/plain' }, 'content-type'],
    ['a body over 1 MiB', 413, ' '.repeat(1_100_000), {}, 'limit'],
    ['no token', 401, fixtureLines[0] as string, { path: '' }, 'token'],
    ['a wrong token', 401, fixtureLines[0] as string, { path: '?token=nope' }, 'token'],
    [
      'an unknown route',
      404,
      fixtureLines[0] as string,
      { path: `/nope?token=${TOKEN}` },
      'unknown route "nope"',
    ],
    [
      'a path beside /events',
      404,
      fixtureLines[0] as string,
      { path: `/nope/deeper?token=${TOKEN}` },
      'no route',
    ],
  ] as const)('answers %s with %i and a JSON error', async (_, status, body, opts, text) => {
    const before = [slack.received.length, teams.received.length];
    const res = await post(body, opts);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(((await res.json()) as { error: string }).error).toContain(text);
    // Nothing queued: a valid event sent after it is the next thing each webhook sees.
    const probe = JSON.parse(fixtureLines.at(-2) as string);
    probe.metadata.eventMessage = `Advance api.team-a canary weight ${++probes}`;
    expect((await post(JSON.stringify(probe))).status).toBe(202);
    const deadline = Date.now() + 5_000;
    while (
      (slack.received.length === before[0] || teams.received.length === before[1]) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 5));
    expect([slack.received.length, teams.received.length]).toEqual([
      (before[0] ?? 0) + 1,
      (before[1] ?? 0) + 1,
    ]);
  });

  it('never writes the token or a webhook URL path to its logs', () => {
    expect(pipeline.output()).toContain('event queued');
    expect(pipeline.output()).not.toContain(TOKEN);
    expect(pipeline.output()).not.toContain(SECRET);
  });
});

describe('local pipeline with a routing file (CONFIG_FILE)', () => {
  let slack: Receiver;
  let pipeline: Awaited<ReturnType<typeof startPipeline>>;
  beforeAll(async () => {
    slack = await startReceiver(answer(200, 'ok'));
    const dir = mkdtempSync(join(tmpdir(), 'routing-'));
    const file = join(dir, 'flagger-notify.yaml');
    // Two destinations of the same type, one queue: each must get only its own canary's events.
    writeFileSync(
      file,
      `destinations:
  shop-team: { type: slack, url: "\${SHOP_URL}" }
  test-team: { type: slack, url: "${slack.url('/test-team')}", username: test-bot }
routes:
  - name: shop
    match: { namespace: shop }
    to: [shop-team]
  - name: test
    match: { namespace: test }
    to: [test-team]
`,
    );
    pipeline = await startPipeline({
      CONFIG_FILE: file,
      SHOP_URL: slack.url('/shop-team'),
      SLACK_WEBHOOK_URL: '',
      TEAMS_WEBHOOK_URL: '',
    });
  });
  afterAll(async () => {
    await stop(pipeline?.child);
    await slack?.close();
  });
  const postTo = (path: string, body: string) =>
    fetch(`${pipeline.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('delivers to two destinations of one type disjoint sets of events', async () => {
    const shop = fixtureLines.filter((l) => l.includes('"namespace": "shop"'));
    const test = fixtureLines.filter((l) => l.includes('"namespace": "test"'));
    for (const l of [...shop, ...test]) expect((await postTo('', l)).status).toBe(202);
    const deadline = Date.now() + 20_000;
    while (slack.received.length < shop.length + test.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const got = (path: string) => slack.received.filter((r) => r.path === path);
    expect(got('/shop-team')).toHaveLength(shop.length);
    expect(got('/test-team')).toHaveLength(test.length);
    expect(
      got('/shop-team').every((r) => r.body.includes('checkout.shop') && !r.body.includes('podinfo.test')),
    ).toBe(true);
    expect(got('/test-team').every((r) => r.body.includes('podinfo.test'))).toBe(true);
    expect(got('/test-team').every((r) => (r.json as { username?: string }).username === 'test-bot')).toBe(
      true,
    );
  });

  it('sends POST /events/{route} through that route whatever its match says, and 404s an unknown route', async () => {
    const shopEvent = fixtureLines.find((l) => l.includes('"namespace": "shop"')) as string;
    expect((await postTo('/nope', shopEvent)).status).toBe(404);
    // A malformed percent-encoding is the client's mistake: 400 with JSON, never a 500.
    const bad = await postTo('/%ZZ', shopEvent);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'malformed path: bad percent-encoding' });
    const before = slack.received.length;
    const res = await postTo('/test', shopEvent);
    expect(await res.json()).toEqual({ status: 'queued', providers: ['slack'], destinations: ['test-team'] });
    const deadline = Date.now() + 10_000;
    while (slack.received.length === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(slack.received.slice(before).map((r) => r.path)).toEqual(['/test-team']);
  });
});

describe('local pipeline end to end: honest about memory', () => {
  it('says at Ctrl-C how many accepted events it drops', async () => {
    const rx = await receiver(answer(500, 'down'));
    const p = await pipeline({
      SLACK_WEBHOOK_URL: rx.url('/hook'),
      TEAMS_WEBHOOK_URL: '',
      RETRY_BASE_SECONDS: '30',
      RETRY_CAP_SECONDS: '30',
    });
    const events = fixtureLines.filter((l) => l.includes('"checkout"')).slice(0, 3);
    for (const l of events) await post(p.url, l);
    const deadline = Date.now() + 10_000;
    while (rx.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await stop(p.child);
    expect(p.output()).toContain('[local] stopping: 3 accepted events not yet delivered are dropped');
  }, 30_000);
});
