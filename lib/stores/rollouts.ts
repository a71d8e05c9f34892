import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { RetryableDeliveryError } from '../errors';
import type { Rollout } from '../rollouts/tracker';
import { isConditionFailed } from './dynamo';

/** What is kept per destination and canary: the rollout and what was done about it. */
export interface RolloutRecord {
  rollout: Rollout;
  /** Queue message ids already applied, newest last: a redelivered record is not applied twice. */
  applied: string[];
  /** Work decided but not yet done (a milestone to send, replies, an update): done on retry. */
  pending?: Pending;
  /** The live message a platform returned (Slack channel id and ts, Discord message id). */
  message?: { channel?: string; id: string };
  /** A post whose outcome is unknown (Slack `fatal_error`, a timeout): looked for before posting again. */
  uncertainPost?: string;
}

export interface Pending {
  /** A milestone message for this queue message id. */
  milestone?: string;
  replies?: { text: string; broadcast: boolean }[];
  /** The live message should be redrawn (or first posted). */
  update?: boolean;
}

export interface Versioned<T> {
  value: T;
  version: number;
}

/** Durable rollout state, written only when nobody else wrote since it was read. */
export interface RolloutStore {
  get(key: string): Promise<Versioned<RolloutRecord> | undefined>;
  /** Saves over `version` (0 = new) and returns the new version; another writer first → retryable error. */
  put(key: string, value: RolloutRecord, version: number): Promise<number>;
}

// Rollouts end; their state is worth keeping for late events and redrives, then expires by TTL.
const KEEP_SECONDS = 30 * 24 * 3600;
const MAX_APPLIED = 50;

export const rolloutKey = (destination: string, e: { namespace: string; name: string }) =>
  `rollout#${destination}#${e.namespace}/${e.name}`;

export function dynamoRolloutStore(
  table: string,
  client: DynamoDBClient,
  now = () => Date.now(),
): RolloutStore {
  return {
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
