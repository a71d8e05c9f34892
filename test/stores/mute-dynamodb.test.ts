import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, dynamoMuteStore } from '../../lib/stores/mute-dynamodb';
import { startFakeDynamo } from '../helpers/fake-dynamodb';

let db: Awaited<ReturnType<typeof startFakeDynamo>>;
beforeAll(async () => {
  db = await startFakeDynamo();
});
afterAll(async () => db?.close());

describe('DynamoDB mute store', () => {
  it('claims a key once per window, across instances sharing the table', async () => {
    let now = 1_000_000_000_000;
    const a = dynamoMuteStore('mute', createDynamoClient('us-east-1', db.endpoint), () => now);
    const b = dynamoMuteStore('mute', createDynamoClient('us-east-1', db.endpoint), () => now);
    expect(await a.claim('k1', 3600)).toBe(true);
    expect(await b.claim('k1', 3600)).toBe(false);
    expect(await b.claim('k2', 3600)).toBe(true);
    now += 3600 * 1000;
    expect(await b.claim('k1', 3600)).toBe(true);
    expect(db.items.get('k1')?.expiresAt?.N).toBe(String(now / 1000 + 3600));
  });

  it('gives a claim back on release', async () => {
    const store = dynamoMuteStore('mute', createDynamoClient('us-east-1', db.endpoint));
    expect(await store.claim('k4', 3600)).toBe(true);
    await store.release('k4');
    expect(await store.claim('k4', 3600)).toBe(true);
  });

  it('sends rather than mutes when the table cannot be reached', async () => {
    const store = dynamoMuteStore('mute', createDynamoClient('us-east-1', db.endpoint));
    db.fail(true);
    try {
      expect(await store.claim('k3', 60)).toBe(true);
    } finally {
      db.fail(false);
    }
  });
});
