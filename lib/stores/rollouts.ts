import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  FAILING_INDEX,
  isFailing,
  MAX_APPLIED,
  type RolloutRecord,
  type RolloutStore,
} from '../rollouts/state';
import { queryIndex, versionedDocs } from './dynamo';

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
    // Failed rollouts and firing alerts only: an idle or healthy fleet costs one empty query.
    failing: () => queryIndex<RolloutRecord>(client, table, FAILING_INDEX, 'yes'),
    get: (key) => docs.get<RolloutRecord>(key),
    put(key, value, version) {
      const record = { ...value, applied: value.applied.slice(-MAX_APPLIED) };
      // The sparse index the status function reads: failed rollouts and firing alerts only.
      return docs.put(key, record, version, isFailing(record) ? { failing: { S: 'yes' } } : {});
    },
  };
}
