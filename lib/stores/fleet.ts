import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CanaryRef, canaryKey } from '../event/event';
import { type FleetEntry, type FleetRow, type FleetStore, HISTORY_DAYS, nextEntry } from '../rollouts/fleet';
import type { Story } from '../rollouts/story';
import { retrying } from '../rollouts/story-log';
import { docOf, queryIndex, versionedDocs } from './dynamo';
import { storyKey } from './story';

/** The state table's sparse index of canaries (serverless.yml): only fleet entries carry `fleet`. */
export const FLEET_INDEX = 'fleet';
export const fleetKey = (c: CanaryRef) => `fleet#${canaryKey(c)}`;

// BatchGetItem takes at most 100 keys (docs.aws.amazon.com, BatchGetItem).
const BATCH = 100;

/**
 * The fleet index in the state table: one small item per canary, written when one of its
 * rollouts starts (never per event) and expiring 30 days after, so the page lists the canaries
 * seen in the last 30 days. Reading it is one query of the index and a batch read of the stories.
 */
export function dynamoFleetStore(table: string, client: DynamoDBClient, now = () => Date.now()): FleetStore {
  const docs = versionedDocs(client, table, 'fleet entry', HISTORY_DAYS * 24 * 3600, now);
  return {
    async started(canary, startedAt, meta, ended) {
      await retrying(async () => {
        const got = await docs.get<FleetEntry>(fleetKey(canary));
        const next = nextEntry(got?.value, canary, startedAt, meta, ended, now());
        // Another writer first is a StateConflictError: read again, and see whether it is newer.
        if (next) await docs.put(fleetKey(canary), next, got?.version ?? 0, { fleet: { S: 'canary' } });
      });
    },
    async list() {
      const entries = (await queryIndex<FleetEntry>(client, table, FLEET_INDEX, 'canary')).map(
        (e) => e.value,
      );
      const stories = await batchStories(client, table, entries);
      return entries.map((entry): FleetRow => {
        const story = stories.get(storyKey(entry));
        return story ? { entry, story } : { entry };
      });
    },
  };
}

/** The current stories of these canaries, by key, in batches; what DynamoDB leaves unread is asked again. */
async function batchStories(
  client: DynamoDBClient,
  table: string,
  entries: readonly CanaryRef[],
): Promise<Map<string, Story>> {
  const out = new Map<string, Story>();
  const keys = entries.map((e) => storyKey(e));
  for (let i = 0; i < keys.length; i += BATCH) {
    let ask: Record<string, AttributeValue>[] = keys.slice(i, i + BATCH).map((k) => ({ pk: { S: k } }));
    for (let round = 0; ask.length && round < 5; round++) {
      const res = await client.send(
        new BatchGetItemCommand({ RequestItems: { [table]: { Keys: ask, ConsistentRead: true } } }),
      );
      for (const item of res.Responses?.[table] ?? []) {
        const s = docOf<Story>(item);
        if (s && item.pk?.S) out.set(item.pk.S, s);
      }
      ask = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, AttributeValue>[];
      if (ask.length) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
    }
  }
  return out;
}
