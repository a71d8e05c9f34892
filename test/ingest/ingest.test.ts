import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { IngestConfig } from '../../lib/config/config';
import { cut } from '../../lib/event/event';
import { handleIngest, type IngestDeps, type IngestRequest, MAX_BODY_BYTES } from '../../lib/ingest/ingest';
import { loadRouting, parseRoutingConfig } from '../../lib/routing/config';
import { memoryMuteStore } from '../../lib/stores/mute';
import { fixtureLines } from '../helpers/fixtures';

const TOKEN = 'a-token-of-at-least-16-chars';
const PREVIOUS = 'the-previous-token-before-rotation';
const providers = [
  { id: 'slack', queueUrl: 'http://q/slack.fifo' },
  { id: 'teams', queueUrl: 'http://q/teams.fifo' },
];

const defaultRouting = await loadRouting({}, ['slack', 'teams']);

function deps(config: Partial<IngestConfig> = {}, enqueue: IngestDeps['enqueue'] = async () => 'id') {
  const spy = vi.fn(enqueue);
  return {
    spy,
    deps: {
      config: {
        tokens: [],
        providers,
        routing: defaultRouting,
        sqs: { region: 'us-east-1' },
        ...config,
      },
      enqueue: spy,
    },
  };
}

const req = (body: string | Buffer, over: Partial<IngestRequest> = {}): IngestRequest => ({
  id: 'req-1',
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  query: {},
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  ...over,
});

const event = fixtureLines[0] as string;

describe('ingest', () => {
  it.each(fixtureLines.map((l, i) => [i + 1, l]))(
    'queues fixture %i to every active channel with 202',
    async (_, line) => {
      const { deps: d, spy } = deps();
      const res = await handleIngest(req(line as string), d);
      expect(res).toEqual({
        statusCode: 202,
        body: { status: 'queued', providers: ['slack', 'teams'], destinations: ['slack', 'teams'] },
      });
      expect(spy.mock.calls.map((c) => c[0].destination)).toEqual(['slack', 'teams']);
      expect(spy.mock.calls[0]?.[1]).toEqual(JSON.parse(line as string));
    },
  );

  it('has exactly one copy of an event tell its rollout’s story, naming every provider; the others carry tells: false', async () => {
    const { deps: d, spy } = deps();
    await handleIngest(req(event), d);
    expect(spy.mock.calls.map((c) => [c[2].tells, c[2].providers])).toEqual([
      [undefined, ['slack', 'teams']],
      [false, undefined],
    ]);
  });

  it('answers 202 with no channels when none is configured, queuing nothing', async () => {
    const { deps: d, spy } = deps({ providers: [], routing: await loadRouting({}, []) });
    expect(await handleIngest(req(event), d)).toMatchObject({ statusCode: 202, body: { providers: [] } });
    expect(spy).not.toHaveBeenCalled();
  });

  it('accepts a JSON content type with a charset', async () => {
    const r = await handleIngest(
      req(event, { headers: { 'content-type': 'application/json; charset=utf-8' } }),
      deps().deps,
    );
    expect(r.statusCode).toBe(202);
  });

  it('rejects malformed JSON with 400', async () => {
    const r = await handleIngest(req('{"name":'), deps().deps);
    expect(r).toEqual({ statusCode: 400, body: { error: 'body is not valid JSON' } });
  });

  it('rejects a schema violation with 400 naming every offending field, queuing nothing', async () => {
    const { deps: d, spy } = deps();
    const bad = JSON.parse(event);
    bad.namespace = '';
    bad.metadata.timestamp = 'yesterday';
    const r = await handleIngest(req(JSON.stringify(bad)), d);
    expect(r.statusCode).toBe(400);
    expect(r.body.error).toMatch(/namespace: .*metadata\.timestamp: /);
    expect(r.body.details).toHaveLength(2);
    expect(spy).not.toHaveBeenCalled();
  });

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded'])(
    'rejects content type %s with 415',
    async (type) => {
      const r = await handleIngest(
        req(event, { headers: type ? { 'content-type': type } : {} }),
        deps().deps,
      );
      expect(r).toEqual({ statusCode: 415, body: { error: 'content-type must be application/json' } });
    },
  );

  it('rejects a body over 1 MiB with 413 before parsing it', async () => {
    const { deps: d, spy } = deps();
    const r = await handleIngest(req(Buffer.alloc(MAX_BODY_BYTES + 1, ' ')), d);
    expect(r.statusCode).toBe(413);
    expect(r.body.error).toContain('1048576');
    expect(spy).not.toHaveBeenCalled();
  });

  it('accepts a body of exactly 1 MiB', async () => {
    const padded = event.padEnd(MAX_BODY_BYTES, ' ');
    expect((await handleIngest(req(padded), deps().deps)).statusCode).toBe(202);
  });

  it.each([9_000, 20_000, 200_000])(
    'accepts a %i-character message, cut to a stored bound that keeps its start, a tail and its length',
    async (n) => {
      const { deps: d, spy } = deps();
      const e = JSON.parse(event);
      e.metadata.eventMessage = `Halt podinfo.test advancement webhook answered: ${'x'.repeat(n - 60)}THE-END`;
      expect((await handleIngest(req(JSON.stringify(e)), d)).statusCode).toBe(202);
      const queued = spy.mock.calls[0]?.[1] as { metadata: { eventMessage: string } };
      const m = queued.metadata.eventMessage;
      expect(m.startsWith('Halt podinfo.test advancement webhook answered: ')).toBe(true);
      expect(m.endsWith('THE-END')).toBe(true);
      if (n > 14_064) {
        expect(m).toContain(`… [cut: ${e.metadata.eventMessage.length} characters in all] …`);
        expect(m.length).toBeLessThan(14_100);
      } else expect(m).toBe(e.metadata.eventMessage);
    },
  );

  it('cuts an oversized metadata value instead of refusing the event', async () => {
    const { deps: d, spy } = deps();
    const e = JSON.parse(event);
    e.metadata.runbook = 'r'.repeat(5000);
    expect((await handleIngest(req(JSON.stringify(e)), d)).statusCode).toBe(202);
    expect(spy.mock.calls[0]?.[1]?.metadata.runbook).toContain('[cut: 5000 characters in all]');
  });

  it.each([
    ['a safe name', 'team-b', 'unknown route "team-b"'],
    ['markup', '<script>', 'unknown route in the URL'],
  ])('answers 404 for an unknown route with %s, echoing it only when safe', async (_, route, message) => {
    const r = await handleIngest({ ...req(event), route }, deps().deps);
    expect(r.statusCode).toBe(404);
    expect(r.body.error).toContain(message);
    expect(JSON.stringify(r.body)).not.toContain('<script>');
  });

  it('never splits an emoji when cutting', () => {
    const m = cut('😀'.repeat(10_000), 101, 51);
    expect(m).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  describe('Content-Encoding', () => {
    const gz = (s: string | Buffer) => gzipSync(s);
    const headers = (encoding: string) => ({
      'content-type': 'application/json',
      'content-encoding': encoding,
    });
    it('accepts a gzip body', async () => {
      const { deps: d, spy } = deps();
      expect((await handleIngest(req(gz(event), { headers: headers('gzip') }), d)).statusCode).toBe(202);
      expect(spy.mock.calls[0]?.[1]).toEqual(JSON.parse(event));
    });
    it('answers 413 when gzip inflates past 1 MiB (a small zip bomb)', async () => {
      const bomb = gz(Buffer.alloc(10 * MAX_BODY_BYTES, ' '));
      expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
      const r = await handleIngest(req(bomb, { headers: headers('gzip') }), deps().deps);
      expect(r).toEqual({
        statusCode: 413,
        body: { error: 'decompressed body is larger than the 1048576-byte limit' },
      });
    });
    it('answers 400 for a body that is not gzip', async () => {
      expect((await handleIngest(req(event, { headers: headers('gzip') }), deps().deps)).body).toEqual({
        error: 'body is not valid gzip',
      });
    });
    it('answers 415 for other encodings', async () => {
      const r = await handleIngest(req(event, { headers: headers('br') }), deps().deps);
      expect(r).toEqual({
        statusCode: 415,
        body: { error: 'content-encoding "br" is not supported; send gzip or none' },
      });
    });
  });

  it.each([
    [
      'an upper-case name',
      (e: Record<string, unknown>) => Object.assign(e, { name: 'PodInfo' }),
      'name: must be a Kubernetes name',
    ],
    [
      'a namespace over 63 characters',
      (e: Record<string, unknown>) => Object.assign(e, { namespace: 'a'.repeat(64) }),
      'namespace:',
    ],
    [
      'more than 50 metadata keys',
      (e: { metadata: Record<string, string> }) => {
        for (let i = 0; i < 48; i++) e.metadata[`k${i}`] = 'v';
      },
      'metadata: must have at most 50 keys',
    ],
    [
      'a metadata key with markup',
      (e: { metadata: Record<string, unknown> }) => Object.assign(e.metadata, { '<script>': 1 }),
      'metadata.?script?:',
    ],
  ] as const)(
    'rejects %s with 400 naming the field, echoing none of the input',
    async (_, mutate, message) => {
      const e = JSON.parse(event);
      (mutate as (e: unknown) => void)(e);
      const r = await handleIngest(req(JSON.stringify(e)), deps().deps);
      expect(r.statusCode).toBe(400);
      expect(r.body.error).toContain(message);
      // Neither the markup nor the oversized value comes back.
      expect(JSON.stringify(r.body)).not.toMatch(/<script|x{20}|a{20}/);
    },
  );

  it('rejects methods other than POST with 405', async () => {
    expect((await handleIngest(req(event, { method: 'GET' }), deps().deps)).statusCode).toBe(405);
  });

  describe('with INGEST_TOKEN', () => {
    const d = () => deps({ tokens: [TOKEN, PREVIOUS] });
    it('accepts the token as ?token=', async () => {
      expect((await handleIngest(req(event, { query: { token: TOKEN } }), d().deps)).statusCode).toBe(202);
    });
    it('accepts the previous token during a rotation', async () => {
      expect((await handleIngest(req(event, { query: { token: PREVIOUS } }), d().deps)).statusCode).toBe(202);
    });
    it('accepts the token as Authorization: Bearer', async () => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
      expect((await handleIngest(req(event, { headers }), d().deps)).statusCode).toBe(202);
    });
    it.each([
      ['no token', {}],
      ['a wrong token', { query: { token: 'wrong' } }],
      ['a token with a suffix', { query: { token: `${TOKEN}x` } }],
      ['a space-padded token', { query: { token: ` ${TOKEN} ` } }],
      [
        'a Basic header',
        { headers: { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` } },
      ],
    ])('rejects %s with 401 without revealing the expected value', async (_, over) => {
      const { deps: dd, spy } = d();
      const r = await handleIngest(req(event, over as Partial<IngestRequest>), dd);
      expect(r.statusCode).toBe(401);
      expect(JSON.stringify(r.body)).not.toContain(TOKEN);
      expect(JSON.stringify(r.body)).not.toContain(PREVIOUS);
      expect(spy).not.toHaveBeenCalled();
    });
    it('checks the token before the body, so the schema cannot be probed without it', async () => {
      expect((await handleIngest(req('not json'), d().deps)).statusCode).toBe(401);
    });
  });

  it('answers 503 naming the channel whose queue failed, after trying every channel', async () => {
    const { deps: d, spy } = deps({}, async (c) => {
      if (c.destination === 'teams') throw new Error('connect ECONNREFUSED');
      return 'id';
    });
    const r = await handleIngest(req(event), d);
    expect(r.statusCode).toBe(503);
    expect(r.body.error).toContain('teams');
    expect(r.body.error).not.toContain('slack');
    expect(spy).toHaveBeenCalledTimes(2);
  });

  describe('with a routing file', async () => {
    const routing = await parseRoutingConfig(
      `destinations:
  shop: { type: slack }
  ops: { type: teams }
routes:
  - name: shop
    match: { namespace: shop }
    to: [shop]
  - name: ops
    minSeverity: error
    mute: 10m
    to: [ops]
`,
      {},
      'test.yaml',
    );
    const withRouting = (over: Partial<IngestConfig> = {}) => deps({ routing, ...over });
    const failed = fixtureLines.find((l) => l.includes('Canary failed!')) as string;
    const shopStart = fixtureLines.find((l) => l.includes('Scaling up checkout.shop')) as string;

    it('queues to the destinations the routes choose, on their type’s queue', async () => {
      const { deps: d, spy } = withRouting();
      const r = await handleIngest(req(shopStart), d);
      expect(r.body).toEqual({ status: 'queued', providers: ['slack'], destinations: ['shop'] });
      expect(spy.mock.calls[0]?.[0]).toEqual({ destination: 'shop', queueUrl: 'http://q/slack.fifo' });
    });

    it('answers 202 "filtered" and queues nothing when no route sends the event', async () => {
      const { deps: d, spy } = withRouting();
      const r = await handleIngest(req(fixtureLines[0] as string), d);
      expect(r).toEqual({ statusCode: 202, body: { status: 'filtered', providers: [], destinations: [] } });
      expect(spy).not.toHaveBeenCalled();
    });

    it('takes /events/{route} to that route, and answers 404 for an unknown one', async () => {
      const { deps: d, spy } = withRouting();
      expect((await handleIngest(req(failed, { route: 'ops' }), d)).body.destinations).toEqual(['ops']);
      const r = await handleIngest(req(failed, { route: 'nope' }), d);
      expect(r).toEqual({
        statusCode: 404,
        body: { error: 'unknown route "nope": POST /events, or /events/<name of a route>' },
      });
      expect(spy).toHaveBeenCalledTimes(1);
    });

    it('does not mute the retry of an event whose queuing failed', async () => {
      const mute = memoryMuteStore();
      let down = true;
      const { deps: d } = withRouting();
      const enqueue = async () => {
        if (down) throw new Error('ECONNREFUSED');
      };
      const viaOps = req(failed, { route: 'ops' });
      expect((await handleIngest(viaOps, { ...d, enqueue, mute })).statusCode).toBe(503);
      down = false;
      expect((await handleIngest(viaOps, { ...d, enqueue, mute })).body.destinations).toEqual(['ops']);
    });

    it('mutes a repeat within the route’s window', async () => {
      const { deps: d } = withRouting();
      const mute = memoryMuteStore();
      const viaOps = req(failed, { route: 'ops' });
      expect((await handleIngest(viaOps, { ...d, mute })).body.destinations).toEqual(['ops']);
      expect((await handleIngest(viaOps, { ...d, mute })).body.destinations).toEqual([]);
    });
  });
});
