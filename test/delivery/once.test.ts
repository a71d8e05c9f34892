import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { deliveredOnce } from '../../lib/delivery/once';
import { countCalls, useDynamo } from '../helpers/dynamo';

const db = useDynamo();

describe('deliveredOnce: one read before the send, one conditional put after it', () => {
  it('knows a key once it is recorded, with one GetItem per question and one PutItem per record', async () => {
    const calls = countCalls(db.client);
    const once = deliveredOnce(db.table, db.client);
    expect(await once.delivered('slack#ops#a')).toBe(false);
    expect(await once.record('slack#ops#a')).toBeUndefined();
    expect(await once.delivered('slack#ops#a')).toBe(true);
    expect(calls.counts).toEqual({ GetItemCommand: 2, PutItemCommand: 1 });
  });

  it('keeps keys apart: the same event at another destination is not delivered there yet', async () => {
    const once = deliveredOnce(db.table, db.client);
    await once.record('slack#ops#c');
    expect(await once.delivered('slack#dev#c')).toBe(false);
  });

  it('takes a second record of the same key quietly (its condition fails, nothing is lost)', async () => {
    const once = deliveredOnce(db.table, db.client);
    expect(await once.record('slack#ops#e')).toBeUndefined();
    expect(await once.record('slack#ops#e')).toBeUndefined();
  });

  it('names the error, and does not throw, when the table fails after a delivery', async () => {
    const halfBroken = deliveredOnce(db.table, {
      send: (cmd: { constructor: { name: string } }) =>
        cmd.constructor.name === 'PutItemCommand'
          ? Promise.reject(Object.assign(new Error('down'), { name: 'InternalServerError' }))
          : db.client.send(cmd as never),
    } as never);
    expect(await halfBroken.record('slack#ops#d')).toBe('InternalServerError');
    expect(await halfBroken.delivered('slack#ops#d')).toBe(false);
  });

  it('lets the record expire 24 h after the delivery, in epoch seconds as DynamoDB TTL reads it', async () => {
    const at = Date.UTC(2026, 11, 6, 12);
    const once = deliveredOnce(db.table, db.client, () => at);
    await once.record('slack#ops#ttl');
    const { Item } = await db.client.send(
      new GetItemCommand({
        TableName: db.table,
        Key: { pk: { S: 'once#slack#ops#ttl' } },
        ConsistentRead: true,
      }),
    );
    expect(Number(Item?.expiresAt?.N)).toBe(at / 1000 + 24 * 3600);
  });
});

describe('the once-only read', () => {
  it('is strongly consistent: an eventually consistent read could miss the record just written', async () => {
    const sent: { input: Record<string, unknown> }[] = [];
    const client = {
      send: async (c: { input: Record<string, unknown> }) => {
        sent.push(c);
        return {};
      },
    } as never;
    await deliveredOnce('t', client).delivered('k');
    expect(sent[0]?.input).toMatchObject({
      TableName: 't',
      Key: { pk: { S: 'once#k' } },
      ConsistentRead: true,
    });
  });
});
