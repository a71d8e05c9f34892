import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { RetryableDeliveryError } from '../errors';
import type { Story, StoryStore } from '../rollouts/story';
import { isConditionFailed } from './dynamo';

// A story is kept as long as its links work: 30 days after its last write (docs/rollout-page.md).
const KEEP_SECONDS = 30 * 24 * 3600;

export const storyKey = (namespace: string, name: string, startedAt?: number) =>
  `story#${namespace}/${name}${startedAt !== undefined ? `#${startedAt}` : ''}`;

/** Stories in the state table: the canary's current one, and each earlier rollout's, archived. */
export function dynamoStoryStore(table: string, client: DynamoDBClient, now = () => Date.now()): StoryStore {
  return {
    async get(namespace, name, startedAt) {
      const out = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: storyKey(namespace, name, startedAt) } },
          ConsistentRead: true,
        }),
      );
      if (!out.Item?.doc?.S) return undefined;
      return { value: JSON.parse(out.Item.doc.S) as Story, version: Number(out.Item.v?.N ?? 0) };
    },
    async put(story, version, archived = false) {
      const key = storyKey(story.namespace, story.name, archived ? story.rollout.startedAt : undefined);
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: key },
              v: { N: String(version + 1) },
              doc: { S: JSON.stringify(story) },
              expiresAt: { N: String(Math.floor(now() / 1000) + KEEP_SECONDS) },
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
        if (isConditionFailed(err)) throw new RetryableDeliveryError('rollout story changed meanwhile');
        throw new RetryableDeliveryError(`rollout story unavailable: ${(err as Error).name}`);
      }
    },
  };
}
