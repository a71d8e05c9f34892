import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { Env } from '../env';
import { ConfigError, RetryableDeliveryError, StateConflictError } from '../errors';

/**
 * One client for the state table. A short deadline: state reads sit on the delivery path and a
 * stuck table must turn into a retry, not a timed-out batch.
 */
export function createDynamoClient(region: string, endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({
    region,
    // A local DynamoDB (dynalite) ignores signatures; sparing users fake credentials is kinder.
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : endpoint
        ? { endpoint }
        : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
  });
}

/** The state table a function reads or writes, and one client for it; `why` names what for. */
export function stateTable(env: Env, why: string): { table: string; client: DynamoDBClient } {
  if (!env.STATE_TABLE) throw new ConfigError(`STATE_TABLE: is not set (${why})`);
  return {
    table: env.STATE_TABLE,
    client: createDynamoClient(env.AWS_REGION ?? 'us-east-1', env.DYNAMODB_ENDPOINT || undefined),
  };
}

/**
 * Documents are stored deflated: DynamoDB bills a write per KB written, and a story's events or a
 * rollout's event identities shrink 3–5× (a JSON `doc` string, as earlier versions wrote, is read too).
 */
export const docAttributes = (doc: unknown): Record<string, AttributeValue> => ({
  z: { B: deflateRawSync(JSON.stringify(doc)) },
});

export function docOf<T>(item: Record<string, AttributeValue> | undefined): T | undefined {
  if (item?.z?.B) return JSON.parse(inflateRawSync(item.z.B).toString()) as T;
  if (item?.doc?.S) return JSON.parse(item.doc.S) as T;
  return undefined;
}

/**
 * Every item of a sparse index whose key attribute (named like the index) has `value`: the index
 * of failures, the fleet index; page by page, as its key and document.
 */
export async function queryIndex<T>(
  client: DynamoDBClient,
  table: string,
  index: string,
  value: string,
): Promise<{ key: string; value: T }[]> {
  const out: { key: string; value: T }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': index },
        ExpressionAttributeValues: { ':v': { S: value } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const doc = docOf<T>(item);
      if (item.pk?.S && doc) out.push({ key: item.pk.S, value: doc });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export const isConditionFailed = (err: unknown) => (err as Error)?.name === 'ConditionalCheckFailedException';

/**
 * A versioned document in the state table: read it with its version, save it only over the
 * version read (0 = not there yet), so a concurrent or redelivered writer cannot fork it.
 * `what` names it in errors; a lost race and an unreachable table are both retryable.
 */
export function versionedDocs(
  client: DynamoDBClient,
  table: string,
  what: string,
  keepSeconds: number,
  now: () => number,
) {
  return {
    async get<T>(key: string): Promise<{ value: T; version: number } | undefined> {
      const out = await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      const value = docOf<T>(out.Item);
      return value === undefined ? undefined : { value, version: Number(out.Item?.v?.N ?? 0) };
    },
    async put(
      key: string,
      doc: unknown,
      version: number,
      extra: Record<string, AttributeValue> = {},
    ): Promise<number> {
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: key },
              v: { N: String(version + 1) },
              ...docAttributes(doc),
              expiresAt: { N: String(Math.floor(now() / 1000) + keepSeconds) },
              ...extra,
            },
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
        if (isConditionFailed(err)) throw new StateConflictError(`${what} changed meanwhile`);
        throw new RetryableDeliveryError(`${what} unavailable: ${(err as Error).name}`);
      }
    },
  };
}
