import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { NotSentError } from '../errors';
import type { SendResult } from '../providers/provider';

/**
 * Sends once per key: a delivery already completed is not repeated when its record comes back;
 * `repeated` then says nothing was sent this time.
 */
export type Once = (
  key: string,
  send: () => Promise<SendResult>,
  context: Context,
) => Promise<SendResult & { repeated?: boolean }>;

/**
 * Completed deliveries recorded with Powertools Idempotency in the state table, keyed on the
 * destination and the event's identity (the whole event, never its text): a worker that dies after delivering some records of a batch (before
 * the batch is acknowledged) does not post them again when the batch comes back. What remains is a
 * crash *during* a POST: the platform may have the message while the record says "in progress";
 * once that expires (the function's remaining time) the retry posts it again (README "Delivery
 * guarantees").
 */
export function deliveredOnce(table: string, client: DynamoDBClient): Once {
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: 24 * 3600 });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: table,
    keyAttr: 'pk',
    expiryAttr: 'expiresAt',
    awsSdkV3Client: client,
  });
  const sendOnce = makeIdempotent(
    async (_payload: { key: string }, send: () => Promise<SendResult>) => send(),
    { persistenceStore, config },
  );
  return async (key, send, context) => {
    config.registerLambdaContext(context);
    let sent = false;
    try {
      const result = await sendOnce({ key }, () => {
        sent = true;
        return send();
      });
      return sent ? result : { ...result, repeated: true };
    } catch (err) {
      // Another worker holds it (a redelivery while the first is still sending): ask again later.
      if (err instanceof IdempotencyAlreadyInProgressError) {
        throw new NotSentError('not sent: another delivery of this message is in progress', undefined, 10);
      }
      throw err;
    }
  };
}
