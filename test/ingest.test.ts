import { describe, expect, it, vi } from 'vitest';
import type { IngestConfig } from '../lib/config';
import { handleIngest, type IngestDeps, type IngestRequest, MAX_BODY_BYTES } from '../lib/ingest';
import { fixtureLines } from './helpers/fixtures';

const TOKEN = 'a-token-of-at-least-16-chars';
const channels = [
  { id: 'slack', queueUrl: 'http://q/slack.fifo' },
  { id: 'teams', queueUrl: 'http://q/teams.fifo' },
];

function deps(config: Partial<IngestConfig> = {}, enqueue: IngestDeps['enqueue'] = async () => 'id') {
  const spy = vi.fn(enqueue);
  return {
    spy,
    deps: { config: { channels, dedup: true, sqs: { region: 'us-east-1' }, ...config }, enqueue: spy },
  };
}

const req = (body: string | Buffer, over: Partial<IngestRequest> = {}): IngestRequest => ({
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
      expect(res).toEqual({ statusCode: 202, body: { status: 'queued', channels: ['slack', 'teams'] } });
      expect(spy.mock.calls.map((c) => c[0].id)).toEqual(['slack', 'teams']);
      expect(spy.mock.calls[0]?.[1]).toEqual(JSON.parse(line as string));
    },
  );

  it('answers 202 with no channels when none is configured, queuing nothing', async () => {
    const { deps: d, spy } = deps({ channels: [] });
    expect(await handleIngest(req(event), d)).toMatchObject({ statusCode: 202, body: { channels: [] } });
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

  it('rejects a body over 64 KiB with 413 before parsing it', async () => {
    const { deps: d, spy } = deps();
    const r = await handleIngest(req(Buffer.alloc(MAX_BODY_BYTES + 1, ' ')), d);
    expect(r.statusCode).toBe(413);
    expect(r.body.error).toContain('65536');
    expect(spy).not.toHaveBeenCalled();
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const padded = event.padEnd(MAX_BODY_BYTES, ' ');
    expect((await handleIngest(req(padded), deps().deps)).statusCode).toBe(202);
  });

  it('rejects methods other than POST with 405', async () => {
    expect((await handleIngest(req(event, { method: 'GET' }), deps().deps)).statusCode).toBe(405);
  });

  describe('with INGEST_TOKEN', () => {
    const d = () => deps({ token: TOKEN });
    it('accepts the token as ?token=', async () => {
      expect((await handleIngest(req(event, { query: { token: TOKEN } }), d().deps)).statusCode).toBe(202);
    });
    it('accepts the token as Authorization: Bearer', async () => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
      expect((await handleIngest(req(event, { headers }), d().deps)).statusCode).toBe(202);
    });
    it.each([
      ['no token', {}],
      ['a wrong token', { query: { token: 'wrong' } }],
      ['a token with a suffix', { query: { token: `${TOKEN}x` } }],
      [
        'a Basic header',
        { headers: { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` } },
      ],
    ])('rejects %s with 401 without revealing the expected value', async (_, over) => {
      const { deps: dd, spy } = d();
      const r = await handleIngest(req(event, over as Partial<IngestRequest>), dd);
      expect(r.statusCode).toBe(401);
      expect(JSON.stringify(r.body)).not.toContain(TOKEN);
      expect(spy).not.toHaveBeenCalled();
    });
    it('checks the token before the body, so the schema cannot be probed without it', async () => {
      expect((await handleIngest(req('not json'), d().deps)).statusCode).toBe(401);
    });
  });

  it('answers 503 naming the channel whose queue failed, after trying every channel', async () => {
    const { deps: d, spy } = deps({}, async (c) => {
      if (c.id === 'teams') throw new Error('connect ECONNREFUSED');
      return 'id';
    });
    const r = await handleIngest(req(event), d);
    expect(r.statusCode).toBe(503);
    expect(r.body.error).toContain('teams');
    expect(r.body.error).not.toContain('slack');
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
