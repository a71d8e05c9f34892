import { describe, expect, it } from 'vitest';
import { RetryableDeliveryError } from '../../lib/errors';
import { reduce } from '../../lib/rollouts/tracker';
import { dynamoRolloutStore, type RolloutRecord, rolloutKey } from '../../lib/stores/rollouts';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';

const db = useDynamo();

const record = (i: number): RolloutRecord => ({
  rollout: reduce(undefined, fixtures[i] as (typeof fixtures)[number]).rollout,
  applied: [`m${i}`],
});

describe('DynamoDB rollout store (dynalite)', () => {
  it('keeps a record per destination and canary, versioned', async () => {
    const store = dynamoRolloutStore(db.table, db.client);
    const key = rolloutKey('ops', { namespace: 'test', name: 'podinfo' });
    expect(key).toBe('rollout#ops#test/podinfo');
    expect(await store.get(key)).toBeUndefined();
    expect(await store.put(key, record(0), 0)).toBe(1);
    expect(await store.get(key)).toEqual({ value: record(0), version: 1 });
    expect(await store.put(key, record(1), 1)).toBe(2);
    expect((await store.get(key))?.value.applied).toEqual(['m1']);
  });

  it('refuses a write over a version someone else moved on from, as retryable', async () => {
    const store = dynamoRolloutStore(db.table, db.client);
    const key = rolloutKey('ops', { namespace: 'shop', name: 'checkout' });
    await store.put(key, record(13), 0);
    await store.put(key, record(14), 1);
    await expect(store.put(key, record(15), 1)).rejects.toBeInstanceOf(RetryableDeliveryError);
    await expect(store.put(key, record(15), 0)).rejects.toThrow('rollout state changed meanwhile');
  });

  it('bounds the applied ids it keeps', async () => {
    const store = dynamoRolloutStore(db.table, db.client);
    const key = rolloutKey('ops', { namespace: 'x', name: 'y' });
    await store.put(key, { ...record(0), applied: Array.from({ length: 80 }, (_, i) => `m${i}`) }, 0);
    const got = (await store.get(key))?.value.applied ?? [];
    expect(got).toHaveLength(50);
    expect(got.at(-1)).toBe('m79');
  });
});
