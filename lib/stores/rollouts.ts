import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { RetryableDeliveryError } from '../errors';
import {
  FAILING_INDEX,
  isFailing,
  MAX_APPLIED,
  type RolloutRecord,
  type RolloutStore,
} from '../rollouts/state';
import { isConditionFailed } from './dynamo';

export {
  type AlertState,
  FAILING_INDEX,
  isFailing,
  type Pending,
  parseRolloutKey,
  type RolloutRecord,
  type RolloutStore,
  rolloutKey,
  type Versioned,
} from '../rollouts/state';

// Rollouts end; their state is worth keeping for late events and redrives, then expires by TTL.
const KEEP_SECONDS = 30 * 24 * 3600;

export function dynamoRolloutStore(
  table: string,
  client: DynamoDBClient,
  now = () => Date.now(),
): RolloutStore {
  return {
    async failing() {
      const out: { key: string; value: RolloutRecord }[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: FAILING_INDEX,
            KeyConditionExpression: 'failing = :y',
            ExpressionAttributeValues: { ':y': { S: 'yes' } },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          if (item.pk?.S && item.doc?.S) out.push({ key: item.pk.S, value: JSON.parse(item.doc.S) });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
    async get(key) {
      const out = await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      const item = out.Item;
      if (!item?.doc?.S) return undefined;
      return { value: JSON.parse(item.doc.S) as RolloutRecord, version: Number(item.v?.N ?? 0) };
    },
    async put(key, value, version) {
      const record = { ...value, applied: value.applied.slice(-MAX_APPLIED) };
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: key },
              v: { N: String(version + 1) },
              doc: { S: JSON.stringify(record) },
              expiresAt: { N: String(Math.floor(now() / 1000) + KEEP_SECONDS) },
              ...(isFailing(record) ? { failing: { S: 'yes' } } : {}),
            },
            // Conditional on the version read: a redelivered or concurrent record cannot fork it.
            ...(version === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'v = :v',
                  ExpressionAttributeValues: { ':v': { N: String(version) } },
                }),
          }),
        );
        return version + 1;
      } catch (err) {
        if (isConditionFailed(err)) {
          throw new RetryableDeliveryError(
            'rollout state changed meanwhile (another delivery of this canary)',
          );
        }
        throw new RetryableDeliveryError(`rollout state unavailable: ${(err as Error).name}`);
      }
    },
  };
}
