// A fleet on one endpoint: the token (or ?cluster=) decides the cluster, one cluster never speaks
// for another, and two clusters' `podinfo.test` are two canaries everywhere they are keyed.
import { describe, expect, it, vi } from 'vitest';
import { messageGroupId } from '../../lib/aws/queue';
import { loadAccess } from '../../lib/config/clusters';
import type { IngestConfig } from '../../lib/config/config';
import { canaryKey, canaryRef, type FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { handleIngest, type IngestDeps, type IngestRequest } from '../../lib/ingest/ingest';
import { rolloutPath } from '../../lib/rollouts/links';
import { rolloutKey } from '../../lib/rollouts/state';
import { loadRouting } from '../../lib/routing/config';
import { fixtureLines } from '../helpers/fixtures';

const SHARED = 'the-shared-token-0123456789';
const EU = 'prod-eu-token-0123456789abc';
const US = 'prod-us-token-0123456789abc';
const routing = await loadRouting({}, ['slack']);
const podinfo = fixtureLines[0] as string;

function ingest(config: Partial<IngestConfig>) {
  const enqueue = vi.fn<IngestDeps['enqueue']>(async () => 'id');
  const deps = {
    config: {
      tokens: [SHARED],
      clusterTokens: { 'prod-eu': EU, 'prod-us': US },
      clusters: ['prod-eu', 'prod-us'],
      providers: [{ id: 'slack', queueUrl: 'http://q/slack.fifo' }],
      routing,
      sqs: { region: 'us-east-1' },
      ...config,
    },
    enqueue,
  };
  const post = async (query: Record<string, string>, body = podinfo) => {
    const request: IngestRequest = {
      id: 'r',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      query,
      body: Buffer.from(body),
    };
    const res = await handleIngest(request, deps);
    return { ...res, event: enqueue.mock.calls.at(-1)?.[1] as FlaggerEvent | undefined };
  };
  return { post, enqueue };
}

const withMetadata = (extra: Record<string, string>) => {
  const e = JSON.parse(podinfo);
  Object.assign(e.metadata, extra);
  return JSON.stringify(e);
};

describe('a fleet on one endpoint', () => {
  it('takes the cluster from the cluster’s own token', async () => {
    const { post } = ingest({});
    const res = await post({ token: EU });
    expect(res.statusCode).toBe(202);
    expect(res.event?.metadata.cluster).toBe('prod-eu');
  });

  it('takes ?cluster= with the shared token, and nothing without one', async () => {
    const { post } = ingest({});
    expect((await post({ token: SHARED, cluster: 'prod-us' })).event?.metadata.cluster).toBe('prod-us');
    const plain = await post({ token: SHARED });
    expect([plain.statusCode, plain.event?.metadata.cluster]).toEqual([202, undefined]);
  });

  it('refuses a cluster token speaking for another cluster (403), by query or metadata, queuing nothing', async () => {
    const { post, enqueue } = ingest({});
    expect(await post({ token: EU, cluster: 'prod-us' })).toMatchObject({
      statusCode: 403,
      body: { error: 'cluster: this token belongs to cluster prod-eu, not prod-us' },
    });
    expect(await post({ token: EU }, withMetadata({ cluster: 'prod-us' }))).toMatchObject({
      statusCode: 403,
      body: { error: 'metadata.cluster: this token belongs to cluster prod-eu, not prod-us' },
    });
    expect(enqueue).not.toHaveBeenCalled();
  });

  it.each([
    [
      { cluster: 'Prod_EU' },
      undefined,
      'cluster: must be a DNS label (lower-case letters, digits and -, at most 63)',
    ],
    [{ cluster: 'prod-ap' }, undefined, 'cluster: prod-ap is not a known cluster (CLUSTERS)'],
    [
      {},
      { cluster: 'prod eu' },
      'metadata.cluster: must be a DNS label (lower-case letters, digits and -, at most 63)',
    ],
    [
      { cluster: 'prod-eu' },
      { cluster: 'prod-us' },
      'metadata.cluster: prod-us differs from ?cluster=prod-eu',
    ],
  ])('refuses %j with metadata %j (400), naming the field', async (query, metadata, error) => {
    const { post, enqueue } = ingest({});
    const res = await post({ token: SHARED, ...query }, metadata ? withMetadata(metadata) : podinfo);
    expect(res).toMatchObject({ statusCode: 400, body: { error } });
    expect(enqueue).not.toHaveBeenCalled();
  });

  it('takes a per-canary webhook’s metadata.cluster with the shared token, or its own cluster’s token', async () => {
    const { post } = ingest({});
    expect(
      (await post({ token: SHARED }, withMetadata({ cluster: 'prod-eu' }))).event?.metadata.cluster,
    ).toBe('prod-eu');
    expect((await post({ token: EU }, withMetadata({ cluster: 'prod-eu' }))).statusCode).toBe(202);
  });

  it('refuses a wrong token (401) whatever cluster it names', async () => {
    const { post } = ingest({});
    expect((await post({ token: 'nobody-0123456789abcdef', cluster: 'prod-eu' })).statusCode).toBe(401);
  });

  it('keeps two clusters’ podinfo.test apart: identity, FIFO group, rollout state, page', async () => {
    const { post } = ingest({});
    const eu = (await post({ token: EU })).event as FlaggerEvent;
    const us = (await post({ token: US })).event as FlaggerEvent;
    expect(eventIdentity(eu)).not.toBe(eventIdentity(us));
    expect(messageGroupId('slack', eu)).toBe('slack/prod-eu/test/podinfo');
    expect(messageGroupId('slack', us)).toBe('slack/prod-us/test/podinfo');
    expect(rolloutKey('slack', eu)).not.toBe(rolloutKey('slack', us));
    expect(canaryKey(canaryRef(eu))).toBe('prod-eu/test/podinfo');
    expect(rolloutPath(canaryRef(eu), 1)).toBe('/clusters/prod-eu/rollouts/test/podinfo/1');
    // Outside a fleet, nothing changes.
    const plain = JSON.parse(podinfo) as FlaggerEvent;
    expect(messageGroupId('slack', plain)).toBe('slack/test/podinfo');
    expect(rolloutPath(canaryRef(plain), 1)).toBe('/rollouts/test/podinfo/1');
  });
});

describe('the fleet’s tokens (INGEST_CLUSTER_TOKENS, CLUSTERS)', () => {
  it('reads cluster=token pairs, commas or lines, and knows their clusters', () => {
    expect(
      loadAccess({ INGEST_CLUSTER_TOKENS: `prod-eu=${EU}\nprod-us=${US}`, CLUSTERS: 'staging' }),
    ).toEqual({
      tokens: [],
      clusterTokens: { 'prod-eu': EU, 'prod-us': US },
      clusters: ['staging', 'prod-eu', 'prod-us'],
    });
  });

  it('serves a deployed stage with cluster tokens only, and refuses one with no token at all', () => {
    expect(loadAccess({ STAGE: 'prod', INGEST_CLUSTER_TOKENS: `prod-eu=${EU}` }).tokens).toEqual([]);
    expect(() => loadAccess({ STAGE: 'prod' })).toThrow(/INGEST_TOKEN: required in a deployed stage/);
  });

  it.each([
    [{ INGEST_CLUSTER_TOKENS: `Prod=${EU}` }, /INGEST_CLUSTER_TOKENS\.0: cluster names must be a DNS label/],
    [
      { INGEST_CLUSTER_TOKENS: 'prod-eu=short' },
      /INGEST_CLUSTER_TOKENS\.0: tokens must be at least 16 characters/,
    ],
    [{ INGEST_CLUSTER_TOKENS: 'prod-eu' }, /INGEST_CLUSTER_TOKENS\.0: must be cluster=token pairs/],
    [{ INGEST_CLUSTER_TOKENS: `a=${EU},b=${EU}` }, /every cluster needs a token of its own/],
    [{ INGEST_TOKEN: EU, INGEST_CLUSTER_TOKENS: `a=${EU}` }, /every cluster needs a token of its own/],
    [{ CLUSTERS: 'ok,Not_Ok' }, /CLUSTERS\.1: cluster names must be a DNS label/],
  ])('refuses %j at cold start, naming the variable and never the token', (env, error) => {
    let message = '';
    try {
      loadAccess(env);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(error);
    expect(message).not.toContain(EU);
  });
});
