import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
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
  /** An Alertmanager alert for this rollout, while it fires. */
  alert?: AlertState;
}

/** The alert as first posted; re-sent with a new `endsAt` while the rollout stays failed. */
export interface AlertState {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL?: string;
}

export interface Pending {
  /** A milestone message for this queue message id. */
  milestone?: string;
  replies?: { text: string; broadcast: boolean }[];
  /** The live message should be redrawn (or first posted). */
  update?: boolean;
  /** Alerts to post to Alertmanager: a new one firing, or an old one resolved. */
  alerts?: (AlertState & { resolved: boolean })[];
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
  /** Every record whose rollout failed or whose alert fires, for the scheduled status function. */
  failing(): Promise<{ key: string; value: RolloutRecord }[]>;
}

/** `rollout#ops#shop/checkout` → its destination and canary. */
export function parseRolloutKey(
  key: string,
): { destination: string; namespace: string; name: string } | undefined {
  const m = key.match(/^rollout#([^#]+)#([^/]+)\/(.+)$/);
  return m ? { destination: m[1] as string, namespace: m[2] as string, name: m[3] as string } : undefined;
}

/** The sparse index the status function reads: only failed rollouts and firing alerts are in it. */
export const FAILING_INDEX = 'failing';
export const isFailing = (r: RolloutRecord) => r.rollout.status === 'failed' || Boolean(r.alert);

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
