import { StateConflictError } from '../../lib/errors';
import type { GateState, GateStore } from '../../lib/rollouts/gates';
import type { Story, StoryStore } from '../../lib/rollouts/story';

/** Versioned documents in memory, refusing a write over a version someone moved on from. */
function docs<T>() {
  const all = new Map<string, { v: number; doc: T }>();
  return {
    get: async (k: string) => {
      const got = all.get(k);
      return got ? { value: structuredClone(got.doc), version: got.v } : undefined;
    },
    put: async (k: string, doc: T, version: number) => {
      if ((all.get(k)?.v ?? 0) !== version) throw new StateConflictError('changed meanwhile');
      all.set(k, { v: version + 1, doc: structuredClone(doc) });
      return version + 1;
    },
  };
}

/** Stories and gates in memory, keyed as the DynamoDB stores key them. */
export function memoryStories(): StoryStore {
  const d = docs<Story>();
  const key = (ns: string, n: string, at?: number) => `${ns}/${n}${at === undefined ? '' : `#${at}`}`;
  return {
    get: (ns, n, at) => d.get(key(ns, n, at)),
    put: (s, v, archived) =>
      d.put(key(s.namespace, s.name, archived ? s.rollout.startedAt : undefined), s, v),
  };
}

export function memoryGates(): GateStore {
  const d = docs<GateState>();
  return { get: (ns, n) => d.get(`${ns}/${n}`), put: (s, v) => d.put(`${s.namespace}/${s.name}`, s, v) };
}
