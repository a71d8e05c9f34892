import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { logger } from '../log';
import { isConditionFailed } from './dynamo';
import type { MuteStore } from './mute';

/**
 * Mute windows shared by every ingest instance: a conditional put claims a key unless an
 * unexpired claim exists. DynamoDB's TTL on `expiresAt` clears old items for free.
 * If the table cannot be reached the notification is sent: muting is noise control, losing an
 * event to it would be worse than a repeat.
 */
export function dynamoMuteStore(table: string, client: DynamoDBClient, now = () => Date.now()): MuteStore {
  return {
    async claim(key, seconds) {
      const t = Math.floor(now() / 1000);
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: `mute#${key}` }, expiresAt: { N: String(t + seconds) } },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': { N: String(t) } },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        logger.warn('mute store unavailable, sending anyway', { error: (err as Error).name });
        return true;
      }
    },
    async release(key) {
      try {
        await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: `mute#${key}` } } }));
      } catch (err) {
        // The claim then expires on its own; the retry it blocks is muted only until then.
        logger.warn('mute store could not release a claim', { error: (err as Error).name });
      }
    },
  };
}

export { createDynamoClient } from './dynamo';
