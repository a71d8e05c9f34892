import { type CanaryRef, canaryKey, type FlaggerEvent, refOf } from '../event/event';
import type { Rollout } from './tracker';

// What the rollout engines keep, and its keys, apart from the DynamoDB store: the engines and
// ingest need them without loading the DynamoDB client.

/** What is kept per destination and canary: the rollout and what was done about it. */
export interface RolloutRecord {
  rollout: Rollout;
  /**
   * Identities of the events already applied, newest last: a redelivered record or a byte-identical
   * resend is not applied twice. (Stacks before event identity stored queue message ids here.)
   */
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
  /** A milestone message for the event of this identity. */
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
  /** A new batch begins: forget records remembered from the last one (see `rememberedInBatch`). */
  newBatch?(): void;
}

/**
 * Remembers each record this worker read or wrote until the batch ends, so a canary's second
 * event in a batch reads nothing: while a batch holds a FIFO message group, no other worker
 * writes its records. Between batches the group may move to another worker, so all is forgotten;
 * a write that loses a race is forgotten too, and the retry reads afresh.
 */
export function rememberedInBatch(store: RolloutStore): RolloutStore {
  const known = new Map<string, Versioned<RolloutRecord>>();
  return {
    failing: () => store.failing(),
    newBatch: () => known.clear(),
    async get(key) {
      const hit = known.get(key);
      if (hit) return structuredClone(hit);
      const got = await store.get(key);
      if (got) known.set(key, structuredClone(got));
      return got;
    },
    async put(key, value, version) {
      try {
        const next = await store.put(key, value, version);
        known.set(key, { value: structuredClone(value), version: next });
        return next;
      } catch (err) {
        known.delete(key);
        throw err;
      }
    },
  };
}

/** `rollout#ops#shop/checkout` (or `rollout#ops#prod-eu/shop/checkout` in a fleet) → its destination and canary. */
export function parseRolloutKey(key: string): ({ destination: string } & CanaryRef) | undefined {
  const m = key.match(/^rollout#([^#]+)#(?:([^/]+)\/)?([^/]+)\/([^/]+)$/);
  if (!m) return undefined;
  return {
    destination: m[1] as string,
    namespace: m[3] as string,
    name: m[4] as string,
    ...(m[2] ? { cluster: m[2] } : {}),
  };
}

/** The sparse index the status function reads: only failed rollouts and firing alerts are in it. */
export const FAILING_INDEX = 'failing';
/**
 * How many applied event identities a record keeps: twice what one batch redelivers, and the
 * canary's last 20 events for a resend (SQS drops a byte-identical one within 5 minutes anyway).
 * Each is 64 characters, so more would cost a write unit per save.
 */
export const MAX_APPLIED = 20;

export const isFailing = (r: RolloutRecord) => r.rollout.status === 'failed' || Boolean(r.alert);

export const rolloutKey = (destination: string, e: CanaryRef | FlaggerEvent) =>
  `rollout#${destination}#${canaryKey(refOf(e))}`;
