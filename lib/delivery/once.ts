import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SendResult } from '../providers/provider';
import { isConditionFailed } from '../stores/dynamo';

/**
 * Sends once per key: a delivery already completed is not repeated when its record comes back;
 * `repeated` then says nothing was sent this time.
 */
export type Once = (
  key: string,
  send: () => Promise<SendResult>,
) => Promise<SendResult & { repeated?: boolean; unrecorded?: string }>;

// Longer than any redelivery (the retry window is at most 12 h) and a day of byte-identical resends.
const KEEP_SECONDS = 24 * 3600;

/**
 * Completed deliveries of every-event destinations, one item per destination and event identity
 * (the whole event, never its text) in the state table: a worker that dies after delivering some
 * records of a batch, before the batch is acknowledged, does not post them again when it comes
 * back, nor does a byte-identical resend.
 *
 * One read before the send and one conditional put after it. No "in progress" record first (as
 * Powertools Idempotency writes): SQS FIFO hands a message group to one consumer at a time and
 * hides a received message for six worker timeouts, so no second delivery of the same key can
 * run meanwhile; such a record would only add a write. A crash after the POST, before the put,
 * leaves no record and the retry posts again: the window docs/delivery.md names.
 */
export function deliveredOnce(table: string, client: DynamoDBClient, now = () => Date.now()): Once {
  const pk = (key: string) => ({ pk: { S: `once#${key}` } });
  return async (key, send) => {
    const known = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: pk(key),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    if (known.Item) return { status: 0, repeated: true };
    const result = await send();
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...pk(key), expiresAt: { N: String(Math.floor(now() / 1000) + KEEP_SECONDS) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return result;
    } catch (err) {
      // Already recorded: nothing to add. Unreachable: it was delivered all the same, so the record
      // is acknowledged; only a later resend of these bytes could go out again.
      if (isConditionFailed(err)) return result;
      return { ...result, unrecorded: (err as Error).name };
    }
  };
}
