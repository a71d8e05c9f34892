import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionFailed } from '../stores/dynamo';

/** Completed deliveries by key: asked before a send, told after it. */
export interface Once {
  delivered(key: string): Promise<boolean>;
  /** Records a delivery; the error's name when it could not be (it was delivered all the same). */
  record(key: string): Promise<string | undefined>;
}

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
  return {
    async delivered(key) {
      const known = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: pk(key),
          ConsistentRead: true,
          ProjectionExpression: 'pk',
        }),
      );
      return Boolean(known.Item);
    },
    async record(key) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...pk(key), expiresAt: { N: String(Math.floor(now() / 1000) + KEEP_SECONDS) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return undefined;
      } catch (err) {
        // Already recorded: nothing to add. Unreachable: it was delivered all the same, so the
        // record is acknowledged; only a later resend of these bytes could go out again.
        return isConditionFailed(err) ? undefined : (err as Error).name;
      }
    },
  };
}
