import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureLines } from './helpers/fixtures';
import {
  attachmentLimitViolations,
  discordLimitViolations,
  googleChatLimitViolations,
  slackLimitViolations,
} from './helpers/limits';
import { answer, type Received, type Receiver, startReceiver } from './helpers/receiver';
import { startSlackApi } from './helpers/slack-api';

const root = resolve(import.meta.dirname, '..');
const TOKEN = 'e2e-token-0123456789abcdef';
let probes = 0;
const SECRET = 'SECRETPATHSECRET';

/** `npm start`'s command, on free ports, with loopback receivers as Slack and Teams. */
async function startPipeline(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      SQS_PORT: '0',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Short delays keep the test fast; pacing and backoff themselves are tested in worker.test.ts.
      MIN_INTERVAL_MS: '20',
      // Every event, not milestones, unless a test says otherwise: these count each one through.
      EVENTS: 'all',
      RETRY_BASE_SECONDS: '1',
      RETRY_CAP_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((ok, fail) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = output.match(/ingest +(http:\/\/127\.0\.0\.1:\d+\/events)/);
      if (m?.[1]) ok(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`pipeline exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Flagger's POST of one event. */
const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
/** Flagger's POSTs, one after another, each accepted. */
async function postAll(url: string, bodies: readonly string[]) {
  for (const b of bodies) expect((await post(url, b)).status).toBe(202);
}

// Receivers and pipelines a test starts are stopped after it, pass or fail.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function receiver(...args: Parameters<typeof startReceiver>) {
  const rx = await startReceiver(...args);
  cleanups.push(() => rx.close());
  return rx;
}
async function slackApiOf() {
  const api = await startSlackApi();
  cleanups.push(() => api.close());
  return api;
}
async function pipeline(env: Record<string, string>) {
  const p = await startPipeline(env);
  cleanups.push(() => stop(p.child));
  return p;
}

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
    // Each fixture has its own timestamp, which both formats show as an ISO time: a stable key.
    const order = (received: Received[], lines: string[]) => {
      const keys = lines.map((l) => new Date(Number(JSON.parse(l).metadata.timestamp)).toISOString());
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

describe('local pipeline end to end: every provider and destination isolation', () => {
  const podinfo = fixtureLines.filter((l) => l.includes('"podinfo"'));
  const waitFor = async (done: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  };

  it('delivers the sample rollout to each new provider set by its zero-config variable', async () => {
    const rx = await receiver((req, res) => {
      // Each answers as its platform does (Discord with wait=true, Rocket.Chat with success).
      if (req.path.startsWith('/discord') || req.path.startsWith('/googlechat')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"1","name":"spaces/x/messages/1"}');
      } else if (req.path.startsWith('/rocketchat')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"success":true}');
      } else {
        res.writeHead(200);
        res.end('ok');
      }
    });
    const p = await pipeline({
      SLACK_WEBHOOK_URL: '',
      TEAMS_WEBHOOK_URL: '',
      DISCORD_WEBHOOK_URL: rx.url('/discord/api/webhooks/1/SECRET'),
      GOOGLE_CHAT_WEBHOOK_URL: rx.url('/googlechat/v1/spaces/A/messages?key=k&token=SECRET'),
      ROCKETCHAT_WEBHOOK_URL: rx.url('/rocketchat/hooks/id/SECRET'),
      MATTERMOST_WEBHOOK_URL: rx.url('/mattermost/hooks/SECRET'),
      WEBHOOK_URL: rx.url('/webhook/in'),
      WEBHOOK_SECRET: 'e2e-signing-secret-0123',
    });
    await postAll(p.url, podinfo);
    const providers = ['discord', 'googlechat', 'rocketchat', 'mattermost', 'webhook'];
    await waitFor(() => rx.received.length >= podinfo.length * providers.length, 30_000);
    for (const id of providers) {
      const got = rx.received.filter((r) => r.path.startsWith(`/${id}/`));
      expect(got, id).toHaveLength(podinfo.length);
    }
    // In order per provider: the generic webhook carries the event itself.
    const sent = podinfo.map((l) => JSON.parse(l).metadata.timestamp);
    const order = rx.received
      .filter((r) => r.path.startsWith('/webhook/'))
      .map((r) => (r.json as { event: { metadata: { timestamp: string } } }).event.metadata.timestamp);
    expect(order).toEqual(sent);
    expect(p.output()).not.toContain('SECRET');
  }, 60_000);

  it('keeps delivering to one destination in order while another of the same type answers 500', async () => {
    const good = await receiver(answer(200, 'ok'));
    const bad = await receiver(answer(500, 'rollup_error'));
    const dir = mkdtempSync(join(tmpdir(), 'isolation-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      `destinations:
  healthy: { type: slack, url: "${good.url('/healthy')}" }
  broken: { type: slack, url: "${bad.url('/broken')}" }
`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '' });
    const t0 = Date.now();
    await postAll(p.url, podinfo);
    await waitFor(() => good.received.length >= podinfo.length, 15_000);
    const ms = Date.now() - t0;
    const messages = good.received.map((r) => (r.json as { text: string }).text);
    expect(messages).toHaveLength(podinfo.length);
    // Each sample message appears in its fallback line, in the order sent.
    podinfo.forEach((l, i) => {
      const m = JSON.parse(l).metadata.eventMessage.slice(0, 40).replace(/&/g, '&amp;').replace(/</g, '&lt;');
      expect(messages[i]).toContain(m);
    });
    expect(bad.received.length).toBeGreaterThan(0);
    console.log(
      `isolation: ${podinfo.length} events to the healthy destination in ${ms} ms while the other answered 500`,
    );
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});

describe('local pipeline end to end: rollouts, not events', () => {
  it('keeps one live Slack message per rollout and sends a webhook only the milestones', async () => {
    const slackApi = await slackApiOf();
    const hook = await receiver(answer(200, 'ok'));
    const p = await pipeline({
      SLACK_WEBHOOK_URL: '',
      TEAMS_WEBHOOK_URL: '',
      SLACK_BOT_TOKEN: 'xoxb-e2e-SECRET-token',
      SLACK_CHANNEL_ID: 'C0LOCAL0001',
      SLACK_API_URL: slackApi.url,
      MATTERMOST_WEBHOOK_URL: hook.url('/hooks/SECRET'),
      EVENTS: '', // the default: milestones
    });
    const rollouts = ['"podinfo"', '"checkout"'].map((n) => fixtureLines.filter((l) => l.includes(n)));
    for (const l of rollouts.flat()) {
      const res = await fetch(p.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: l,
      });
      expect(res.status).toBe(202);
    }
    const deadline = Date.now() + 20_000;
    const settled = () =>
      slackApi.api.messages.length === 2 &&
      slackApi.api.messages.every((m) => /Promoted|Failed/.test(JSON.stringify(m.attachments))) &&
      hook.received.length >= 6;
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(
      slackApi.api.messages.map((m) => JSON.stringify(m.attachments).match(/· (Promoted|Failed)/)?.[1]),
    ).toEqual(['Promoted', 'Failed']);
    expect(slackApi.api.messages.map((m) => m.replies.length)).toEqual([2, 3]);
    // podinfo: start, first failed check, promotion; checkout: start, first failed check, failure.
    expect(hook.received).toHaveLength(6);
    expect(p.output()).not.toContain('SECRET');
  }, 60_000);
});

describe('local pipeline end to end: given up by time, not by receives', () => {
  const canaries = 50;
  const events = fixtureLines
    .filter((l) => l.includes('"podinfo"'))
    .slice(0, 2)
    .flatMap((l) => Array.from({ length: canaries }, (_, i) => l.replace('"podinfo"', `"app-${i}"`)));
  const attempts = (output: string) =>
    [...output.matchAll(/delivered .* attempt=(\d+)/g)].map((m) => Number(m[1]));

  /**
   * One Slack destination that fails with `fail` for `forMs`, then answers 200; `list` posted at
   * once; waits up to `waitMs` for every event to be delivered.
   */
  async function ride(
    fail: (res: ServerResponse) => void,
    forMs: number,
    list: string[],
    env: Record<string, string>,
    waitMs: number,
  ) {
    const t0 = Date.now() + 500;
    const rx = await receiver((_r, res) =>
      Date.now() - t0 < forMs ? fail(res) : res.writeHead(200).end('ok'),
    );
    const p = await pipeline({
      SLACK_WEBHOOK_URL: rx.url('/hook/SECRET'),
      TEAMS_WEBHOOK_URL: '',
      MIN_INTERVAL_MS: '0',
      ...env,
    });
    await postAll(p.url, list);
    const deadline = Date.now() + waitMs;
    while (attempts(p.output()).length < list.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const receives = attempts(p.output());
    const dead = (p.output().match(/dead-lettered/g) ?? []).length;
    const summary = `${receives.length}/${list.length} delivered ${Math.round((Date.now() - t0) / 1000)} s after it began, ${rx.received.length} POSTs, receives per event max ${Math.max(...receives)}, dead letters ${dead}`;
    return { rx, receives, dead, summary };
  }
  const tooMany = (seconds: string) => (res: ServerResponse) =>
    res.writeHead(429, { 'retry-after': seconds }).end('rate_limited');

  it('rides out a 429 storm (Retry-After: 1 for 6 s) over 50 canaries: 0 dead letters, all delivered', async () => {
    // The window (8 s) is longer than the storm; the old 24-receive budget would not have been.
    const r = await ride(tooMany('1'), 6000, events, { RETRY_WINDOW_SECONDS: '8' }, 40_000);
    console.log(`429 storm: ${r.summary}`);
    expect(r.receives).toHaveLength(events.length);
    expect(r.dead).toBe(0);
    expect(r.rx.received.filter((x) => x.body.includes('"text"')).length).toBeGreaterThanOrEqual(
      events.length,
    );
  }, 60_000);

  it('loses nothing in an outage longer than 24 × the backoff cap (30 s of 503 at a 1 s cap)', async () => {
    // The old receive budget (24) ran out after ~24 s of 1 s backoffs; the 2 h window does not.
    const r = await ride((res) => res.writeHead(503).end('down'), 30_000, events.slice(0, 4), {}, 60_000);
    console.log(`outage of 30 s: ${r.summary}`);
    expect(r.receives).toHaveLength(4);
    expect(Math.max(...r.receives)).toBeGreaterThan(24);
    expect(r.dead).toBe(0);
  }, 90_000);

  // The issue's storm at full length (Retry-After: 5 for 150 s) takes three minutes: SOAK=1.
  it.runIf(process.env.SOAK)(
    'rides out a 429 storm with Retry-After: 5 for 150 s over 50 canaries',
    async () => {
      const r = await ride(tooMany('5'), 150_000, events, {}, 240_000);
      console.log(`429 storm of 150 s: ${r.summary}`);
      expect(r.receives).toHaveLength(events.length);
      expect(r.dead).toBe(0);
    },
    300_000,
  );

  it('dead-letters, with the reason, what still fails when the window is over; nothing is lost', async () => {
    const rx = await receiver(answer(500, 'rollup_error'));
    const few = events.slice(0, 4);
    const p = await pipeline({
      SLACK_WEBHOOK_URL: rx.url('/hook/SECRET'),
      TEAMS_WEBHOOK_URL: '',
      MIN_INTERVAL_MS: '0',
      RETRY_WINDOW_SECONDS: '3',
    });
    await postAll(p.url, few);
    const dead = () => p.output().match(/dead-lettered .*gave up after/g) ?? [];
    const deadline = Date.now() + 30_000;
    while (dead().length < few.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(dead()).toHaveLength(few.length);
    expect(p.output()).toMatch(
      /gave up after 0\.\d h of retries \(retry window 3 s, \d+ receives\): RetryableDeliveryError: .*answered 500: rollup_error/,
    );
    expect(p.output()).not.toContain('SECRET');
  }, 60_000);
});

describe('local pipeline end to end: long messages and any character', () => {
  it('accepts and delivers 9,000-, 20,000- and 200,000-character messages and emoji/U+FFFF to every provider, within limits', async () => {
    const rx = await receiver((req, res) => {
      const json =
        req.path.startsWith('/discord') ||
        req.path.startsWith('/googlechat') ||
        req.path.startsWith('/rocketchat');
      res.writeHead(
        req.path.startsWith('/teams') ? 202 : 200,
        json ? { 'content-type': 'application/json' } : {},
      );
      res.end(json ? '{"id":"1","success":true}' : 'ok');
    });
    const urls = {
      SLACK_WEBHOOK_URL: rx.url('/slack/x'),
      TEAMS_WEBHOOK_URL: rx.url('/teams/x'),
      DISCORD_WEBHOOK_URL: rx.url('/discord/x'),
      GOOGLE_CHAT_WEBHOOK_URL: rx.url('/googlechat/x?key=k&token=t'),
      ROCKETCHAT_WEBHOOK_URL: rx.url('/rocketchat/x'),
      MATTERMOST_WEBHOOK_URL: rx.url('/mattermost/x'),
      WEBHOOK_URL: rx.url('/webhook/x'),
    };
    const p = await pipeline(urls);
    const base = JSON.parse(fixtureLines[0] as string);
    const bodies = [9_000, 20_000, 200_000, 0].map((n, i) => {
      const e = structuredClone(base);
      e.metadata.timestamp = String(Number(e.metadata.timestamp) + i);
      e.metadata.eventMessage = n
        ? `Halt podinfo.test advancement ${'y'.repeat(n)}`
        : 'Halt podinfo.test payments 💳 \uffff done';
      if (!n) e.metadata.team = 'payments 💳';
      return JSON.stringify(e);
    });
    await postAll(p.url, bodies);
    const providers = ['slack', 'teams', 'discord', 'googlechat', 'rocketchat', 'mattermost', 'webhook'];
    const deadline = Date.now() + 30_000;
    while (rx.received.length < bodies.length * providers.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    for (const id of providers)
      expect(
        rx.received.filter((r) => r.path.startsWith(`/${id}/`)),
        id,
      ).toHaveLength(bodies.length);
    const got = (id: string) => rx.received.filter((r) => r.path.startsWith(`/${id}/`)).map((r) => r.json);
    for (const s of got('slack')) expect(slackLimitViolations(s as never)).toEqual([]);
    for (const d of got('discord')) expect(discordLimitViolations(d as never)).toEqual([]);
    for (const g of got('googlechat')) expect(googleChatLimitViolations(g as never)).toEqual([]);
    for (const a of [...got('rocketchat'), ...got('mattermost')])
      expect(attachmentLimitViolations(a as never)).toEqual([]);
    // Delivered as itself: the generic webhook carries the event, emoji and U+FFFF included.
    const last = got('webhook').at(-1) as { event: { metadata: Record<string, string> } };
    expect(last.event.metadata.eventMessage).toBe('Halt podinfo.test payments 💳 \uffff done');
    expect(last.event.metadata.team).toBe('payments 💳');
    const big = await fetch(p.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ' '.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toContain('limit');
  }, 60_000);
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

describe('local pipeline end to end: a backlog at default pacing', () => {
  it('delivers a backlog over 10 canaries at Slack’s default pacing with every record attempted, none dead-lettered', async () => {
    const rx = await receiver(answer(200, 'ok'));
    // Default pacing (1 POST / 2 s): a batch of 10 canaries needs 18 s of spacing, which the
    // function's real timeout (130 s) fits; a 30 s context used to skip the 10th record each time.
    const p = await pipeline({
      SLACK_WEBHOOK_URL: rx.url('/hook'),
      TEAMS_WEBHOOK_URL: '',
      MIN_INTERVAL_MS: '',
    });
    const lines = fixtureLines
      .filter((l) => l.includes('"podinfo"'))
      .slice(0, 2)
      .flatMap((l) => Array.from({ length: 10 }, (_, i) => l.replace('"podinfo"', `"backlog-${i}"`)));
    await postAll(p.url, lines);
    const deadline = Date.now() + 70_000;
    while (rx.received.length < lines.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(rx.received).toHaveLength(lines.length);
    const gaps = rx.received.slice(1).map((r, i) => r.at - (rx.received[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1900);
    expect(p.output()).not.toContain('too little function time');
    expect(p.output()).not.toContain('dead-lettered');
  }, 90_000);
});

// The issue's soak: 2,000 events over 50 canaries at default pacing (1 POST / 2 s to one Slack
// webhook) take over an hour, so it runs only when asked: SOAK=1 npx vitest run test/e2e.test.ts -t soak
describe.runIf(process.env.SOAK)('soak: a 2,000-event backlog at default pacing', () => {
  it(
    'delivers 2,000 events over 50 canaries to a healthy webhook, none dead-lettered, and prints receives per event',
    async () => {
      const rx = await receiver(answer(200, 'ok'));
      const p = await pipeline({
        SLACK_WEBHOOK_URL: rx.url('/hook'),
        TEAMS_WEBHOOK_URL: '',
        MIN_INTERVAL_MS: '',
      });
      const started = Date.now();
      // 40 distinct events per canary (distinct messages, so SQS deduplication keeps them all).
      const base = fixtureLines.find((l) => l.includes('"podinfo"')) as string;
      const lines = Array.from({ length: 40 }, (_, n) =>
        Array.from({ length: 50 }, (_, c) =>
          base
            .replace('"podinfo"', `"soak-${c}"`)
            .replace(/"eventMessage":"[^"]*"/, `"eventMessage":"Advance soak-${c} canary weight ${n}"`),
        ),
      ).flat();
      await postAll(p.url, lines);
      const deadline = Date.now() + 100 * 60_000;
      while (rx.received.length < lines.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 1000));
      const attempts = [...p.output().matchAll(/delivered .*?attempt=(\d+)/g)].map((m) => Number(m[1]));
      const counts = new Map<number, number>();
      for (const a of attempts) counts.set(a, (counts.get(a) ?? 0) + 1);
      const histogram = [...counts].sort(([a], [b]) => a - b);
      console.log(
        `soak: ${rx.received.length}/${lines.length} delivered in ${Math.round((Date.now() - started) / 1000)} s; ` +
          `receives per delivered event: ${histogram.map(([a, n]) => `${a}×${n}`).join(', ')}; ` +
          `dead letters: ${(p.output().match(/dead-lettered/g) ?? []).length}`,
      );
      expect(rx.received).toHaveLength(lines.length);
      expect(p.output()).not.toContain('dead-lettered');
      // Order per canary: each canary's weights arrive 0..39.
      for (let c = 0; c < 50; c++) {
        const got = rx.received
          .map((r) => JSON.stringify(r.json))
          .filter((t) => t.includes(`soak-${c} canary weight`))
          .map((t) => Number(t.match(/canary weight (\d+)/)?.[1]));
        expect(got).toEqual(Array.from({ length: 40 }, (_, n) => n));
      }
    },
    110 * 60_000,
  );
});
