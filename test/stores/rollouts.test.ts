import { describe, expect, it } from 'vitest';
import { RetryableDeliveryError } from '../../lib/errors';
import { applyOnce } from '../../lib/rollouts/journal';
import { memoryRolloutStore } from '../../lib/rollouts/memory-store';
import { MAX_APPLIED, type RolloutStore } from '../../lib/rollouts/state';
import { reduce } from '../../lib/rollouts/tracker';
import { dynamoRolloutStore, type RolloutRecord, rolloutKey } from '../../lib/stores/rollouts';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';

const db = useDynamo();

const record = (i: number): RolloutRecord => ({
  rollout: reduce(undefined, fixtures[i] as (typeof fixtures)[number]).rollout,
  applied: [`m${i}`],
});

// One contract, two stores: what the journal relies on holds in memory and in DynamoDB alike.
describe.each([
  ['memory', () => memoryRolloutStore()],
  ['DynamoDB (dynalite)', () => dynamoRolloutStore(db.table, db.client)],
] as [string, () => RolloutStore][])('rollout store contract: %s', (_, makeStore) => {
  it('keeps a record per destination and canary, versioned', async () => {
    const store = makeStore();
    const key = rolloutKey('ops', { namespace: 'test', name: 'podinfo' });
    expect(key).toBe('rollout#ops#test/podinfo');
    expect(await store.get(key)).toBeUndefined();
    expect(await store.put(key, record(0), 0)).toBe(1);
    expect(await store.get(key)).toEqual({ value: record(0), version: 1 });
    expect(await store.put(key, record(1), 1)).toBe(2);
    expect((await store.get(key))?.value.applied).toEqual(['m1']);
  });

  it('refuses a write over a version someone else moved on from, as retryable', async () => {
    const store = makeStore();
    const key = rolloutKey('ops', { namespace: 'shop', name: 'checkout' });
    await store.put(key, record(13), 0);
    await store.put(key, record(14), 1);
    await expect(store.put(key, record(15), 1)).rejects.toBeInstanceOf(RetryableDeliveryError);
    await expect(store.put(key, record(15), 0)).rejects.toThrow('rollout state changed meanwhile');
  });

  it('bounds the applied ids it keeps', async () => {
    const store = makeStore();
    const key = rolloutKey('ops', { namespace: 'x', name: 'y' });
    await store.put(key, { ...record(0), applied: Array.from({ length: 80 }, (_, i) => `m${i}`) }, 0);
    const got = (await store.get(key))?.value.applied ?? [];
    expect(got).toHaveLength(MAX_APPLIED);
    expect(got.at(-1)).toBe('m79');
  });

  it('lists failed rollouts in the failing index, and only those', async () => {
    const store = makeStore();
    const failed = (await store.failing()).length;
    const checkout = fixtures.filter((e) => e.name === 'checkout');
    let r: RolloutRecord['rollout'] | undefined;
    for (const e of checkout) r = reduce(r, e).rollout;
    await store.put(
      rolloutKey('ops', { namespace: 'shop', name: `c${failed}` }),
      { rollout: r as RolloutRecord['rollout'], applied: [] },
      0,
    );
    await store.put(rolloutKey('ops', { namespace: 'test', name: `p${failed}` }), record(0), 0);
    expect((await store.failing()).map((f) => f.key)).toContain(`rollout#ops#shop/c${failed}`);
    expect((await store.failing()).map((f) => f.key)).not.toContain(`rollout#ops#test/p${failed}`);
  });

  it('journal: applies an event once, however often it comes back, and saves its pending work', async () => {
    const store = makeStore();
    const key = rolloutKey('journal', { namespace: 'test', name: `p${Math.random()}` });
    const e = fixtures[0] as (typeof fixtures)[number];
    const plan = (prev: RolloutRecord | undefined, step: ReturnType<typeof reduce>) => ({
      rollout: step.rollout,
      pending: {
        update: true,
        replies: [...(prev?.pending?.replies ?? []), { text: 'x', broadcast: false }],
      },
    });
    const first = await applyOnce(store, key, 'id-1', e, plan);
    const again = await applyOnce(store, key, 'id-1', e, plan);
    expect(again.record).toEqual(first.record);
    expect(again.record.rollout.events).toBe(1);
    await again.save({ ...again.record, pending: undefined });
    expect((await store.get(key))?.value.pending).toBeUndefined();
    // A journal whose version someone else moved on from cannot overwrite it.
    await expect(first.save({ ...first.record })).rejects.toBeInstanceOf(RetryableDeliveryError);
  });
});

describe('documents in the state table', () => {
  const db = useDynamo('docs');
  it('are written deflated, and one written as a JSON string by an earlier version is still read', async () => {
    const { PutItemCommand, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const store = dynamoRolloutStore(db.table, db.client);
    const rollout = reduce(undefined, fixtures[0] as (typeof fixtures)[number]).rollout;
    const doc = { rollout, applied: ['a'.repeat(64)] };
    await db.client.send(
      new PutItemCommand({
        TableName: db.table,
        Item: { pk: { S: 'rollout#old#ns/app' }, v: { N: '3' }, doc: { S: JSON.stringify(doc) } },
      }),
    );
    expect(await store.get('rollout#old#ns/app')).toEqual({ value: doc, version: 3 });
    await store.put('rollout#old#ns/app', doc, 3);
    const raw = await db.client.send(
      new GetItemCommand({ TableName: db.table, Key: { pk: { S: 'rollout#old#ns/app' } } }),
    );
    expect(raw.Item?.doc).toBeUndefined();
    expect(raw.Item?.z?.B?.length).toBeLessThan(JSON.stringify(doc).length);
    expect(await store.get('rollout#old#ns/app')).toEqual({ value: doc, version: 4 });
  });
});
