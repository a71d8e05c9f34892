import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Held, HeldStore } from '../rollouts/held';
import { versionedDocs } from './dynamo';

// Held messages outlive a redeploy and a long weekend; a summary that never went out is gone
// after a week rather than kept for ever.
const KEEP_SECONDS = 7 * 24 * 3600;

export const heldKey = (destination: string) => `held#${destination}`;

/** Quiet hours' held messages, one versioned item per destination, in the state table. */
export function dynamoHeldStore(table: string, client: DynamoDBClient, now = () => Date.now()): HeldStore {
  const docs = versionedDocs(client, table, 'held messages', KEEP_SECONDS, now);
  return {
    get: (destination) => docs.get<Held>(heldKey(destination)),
    put: (destination, held, version) => docs.put(heldKey(destination), held, version),
  };
}
