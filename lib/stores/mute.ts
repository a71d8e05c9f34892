import { createHash } from 'node:crypto';
import { classify, type Kind } from '../event/classify';
import { clusterOf, type FlaggerEvent } from '../event/event';

/** Remembers what was sent recently, so a route's `mute` window can suppress repeats. */
export interface MuteStore {
  /** True when `key` was free (send, and hold it for `seconds`); false while it is held (mute). */
  claim(key: string, seconds: number): Promise<boolean>;
  /** Gives a claim back: the notification it was for could not be queued, so a retry must pass. */
  release(key: string): Promise<void>;
}

/** One process's memory: exact for `npm start`; in Lambda, per warm instance (best effort). */
export function memoryMuteStore(now = () => Date.now()): MuteStore {
  const until = new Map<string, number>();
  return {
    async claim(key, seconds) {
      const t = now();
      if ((until.get(key) ?? 0) > t) return false;
      until.set(key, t + seconds * 1000);
      if (until.size > 10_000) for (const [k, v] of until) if (v <= t) until.delete(k);
      return true;
    },
    async release(key) {
      until.delete(key);
    },
  };
}

/** Same route + canary (and cluster) + kind + message = the same notification. */
export function muteKey(route: string, e: FlaggerEvent, kind: Kind = classify(e).kind): string {
  const cluster = clusterOf(e);
  const parts = [route, e.namespace, e.name, kind, e.metadata.eventMessage, ...(cluster ? [cluster] : [])];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
