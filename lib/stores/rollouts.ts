import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  FAILING_INDEX,
  isFailing,
  MAX_APPLIED,
  type RolloutRecord,
  type RolloutStore,
} from '../rollouts/state';
import { docOf, versionedDocs } from './dynamo';

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
  const docs = versionedDocs(client, table, 'rollout state', KEEP_SECONDS, now);
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
          const value = docOf<RolloutRecord>(item);
          if (item.pk?.S && value) out.push({ key: item.pk.S, value });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
    get: (key) => docs.get<RolloutRecord>(key),
    put(key, value, version) {
      const record = { ...value, applied: value.applied.slice(-MAX_APPLIED) };
      // The sparse index the status function reads: failed rollouts and firing alerts only.
      return docs.put(key, record, version, isFailing(record) ? { failing: { S: 'yes' } } : {});
    },
  };
}
