import { describe, expect, it } from 'vitest';
import { deliveredOnce } from '../../lib/delivery/once';
import { RetryableDeliveryError } from '../../lib/errors';
import { countCalls, useDynamo } from '../helpers/dynamo';

const db = useDynamo();
const ok = async () => ({ status: 200 });

describe('deliveredOnce: one read before the send, one conditional put after it', () => {
  it('sends a key once, and a second delivery of it is “repeated” without a send or a write', async () => {
    const calls = countCalls(db.client);
    const once = deliveredOnce(db.table, db.client);
    let sends = 0;
    const send = async () => {
      sends++;
      return { status: 200 };
    };
    expect(await once('slack#ops#a', send)).toEqual({ status: 200 });
    expect(calls.counts).toEqual({ GetItemCommand: 1, PutItemCommand: 1 });
    calls.reset();
    expect(await once('slack#ops#a', send)).toMatchObject({ repeated: true });
    expect(calls.counts).toEqual({ GetItemCommand: 1 });
    expect(sends).toBe(1);
  });

  it('records nothing when the send fails, so the retry sends', async () => {
    const once = deliveredOnce(db.table, db.client);
    const failing = async () => {
      throw new RetryableDeliveryError('answered 500');
    };
    await expect(once('slack#ops#b', failing)).rejects.toThrow('answered 500');
    expect(await once('slack#ops#b', ok)).toEqual({ status: 200 });
    expect(await once('slack#ops#b', ok)).toMatchObject({ repeated: true });
  });

  it('keeps keys apart: the same event at another destination is sent there too', async () => {
    const once = deliveredOnce(db.table, db.client);
    expect(await once('slack#ops#c', ok)).toEqual({ status: 200 });
    expect(await once('slack#dev#c', ok)).toEqual({ status: 200 });
  });

  it('says “unrecorded” (and does not throw) when the table fails after a delivery', async () => {
    const once = deliveredOnce(db.table, db.client);
    // Reads answer; the write after the send fails.
    const halfBroken = deliveredOnce(db.table, {
      send: (cmd: { constructor: { name: string } }) =>
        cmd.constructor.name === 'PutItemCommand'
          ? Promise.reject(Object.assign(new Error('down'), { name: 'InternalServerError' }))
          : db.client.send(cmd as never),
    } as never);
    expect(await halfBroken('slack#ops#d', ok)).toEqual({ status: 200, unrecorded: 'InternalServerError' });
    // Nothing recorded: the real store still sends it.
    expect(await once('slack#ops#d', ok)).toEqual({ status: 200 });
  });
});
