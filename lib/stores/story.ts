import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateConflictError } from '../errors';
import { type CanaryRef, canaryKey } from '../event/event';
import type { GateState, GateStore } from '../rollouts/gates';
import type { Results, Story, StoryStore } from '../rollouts/story';
import { versionedDocs } from './dynamo';

// A story is kept as long as its links work: 30 days after its last write (docs/rollout-page.md).
const KEEP_SECONDS = 30 * 24 * 3600;

export const storyKey = (c: CanaryRef, startedAt?: number) =>
  `story#${canaryKey(c)}${startedAt !== undefined ? `#${startedAt}` : ''}`;

/** Stories in the state table: the canary's current one, and each earlier rollout's, archived. */
export const resultsKey = (c: CanaryRef, startedAt: number, provider: string) =>
  `results#${provider}#${canaryKey(c)}#${startedAt}`;

export function dynamoStoryStore(table: string, client: DynamoDBClient, now = () => Date.now()): StoryStore {
  const docs = versionedDocs(client, table, 'rollout story', KEEP_SECONDS, now);
  const results = versionedDocs(client, table, 'rollout results', KEEP_SECONDS, now);
  return {
    get: (canary, startedAt) => docs.get<Story>(storyKey(canary, startedAt)),
    put: (story, version, archived = false) =>
      docs.put(storyKey(story, archived ? story.rollout.startedAt : undefined), story, version),
    results: (canary, startedAt, provider) => results.get<Results>(resultsKey(canary, startedAt, provider)),
    putResults: (canary, startedAt, provider, value, version) =>
      results.put(resultsKey(canary, startedAt, provider), value, version),
  };
}

export const gateKey = (c: CanaryRef) => `gate#${canaryKey(c)}`;

/** A canary's gate decisions and their audit trail, versioned like the rest of the state table. */
export function dynamoGateStore(table: string, client: DynamoDBClient, now = () => Date.now()): GateStore {
  const docs = versionedDocs(client, table, 'gate state', KEEP_SECONDS, now);
  return {
    get: (canary) => docs.get<GateState>(gateKey(canary)),
    put: (state, version) => docs.put(gateKey(state), state, version),
  };
}

/**
 * Remembers a one-time value (a Slack request's signature, a page form's nonce) for `ttlSeconds`:
 * true the first time, false ever after, decided by one conditional write, so two requests at
 * once cannot both pass.
 */
export function firstSeenStore(
  table: string,
  client: DynamoDBClient,
  kind: string,
  ttlSeconds: number,
  now = () => Date.now(),
) {
  const docs = versionedDocs(client, table, kind, ttlSeconds, now);
  return async (value: string): Promise<boolean> => {
    try {
      await docs.put(`${kind.replace(/\W+/g, '-')}#${value}`, { at: now() }, 0);
      return true;
    } catch (err) {
      if (err instanceof StateConflictError) return false;
      throw err;
    }
  };
}

/** Slack signatures already handled (10 minutes, past Slack's 5-minute window): a replay is refused. */
export const slackSeenStore = (table: string, client: DynamoDBClient, now = () => Date.now()) =>
  firstSeenStore(table, client, 'slack-seen', 600, now);
