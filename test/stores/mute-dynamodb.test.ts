import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClient } from '../../lib/stores/dynamo';
import { dynamoMuteStore } from '../../lib/stores/mute-dynamodb';
import { useDynamo } from '../helpers/dynamo';

const db = useDynamo();

describe('DynamoDB mute store (dynalite)', () => {
  it('claims a key once per window, across instances sharing the table', async () => {
    let now = 1_000_000_000_000;
    const a = dynamoMuteStore(db.table, createDynamoClient('us-east-1', db.endpoint), () => now);
    const b = dynamoMuteStore(db.table, createDynamoClient('us-east-1', db.endpoint), () => now);
    expect(await a.claim('k1', 3600)).toBe(true);
    expect(await b.claim('k1', 3600)).toBe(false);
    expect(await b.claim('k2', 3600)).toBe(true);
    now += 3600 * 1000 - 1000;
    expect(await b.claim('k1', 3600)).toBe(false);
    now += 1000;
    expect(await b.claim('k1', 3600)).toBe(true);
    const item = await db.client.send(
      new GetItemCommand({ TableName: db.table, Key: { pk: { S: 'mute#k1' } } }),
    );
    expect(item.Item?.expiresAt?.N).toBe(String(now / 1000 + 3600));
  });

  it('gives a claim back on release', async () => {
    const store = dynamoMuteStore(db.table, db.client);
    expect(await store.claim('k4', 3600)).toBe(true);
    expect(await store.claim('k4', 3600)).toBe(false);
    await store.release('k4');
    expect(await store.claim('k4', 3600)).toBe(true);
  });

  it('sends rather than mutes when the table cannot be reached', async () => {
    const store = dynamoMuteStore('no-such-table', db.client);
    expect(await store.claim('k3', 60)).toBe(true);
  });
});
