import type { GateState, GateStore } from '../../lib/rollouts/gates';
import { memoryDocs } from '../../lib/rollouts/memory-store';
import type { Story, StoryStore } from '../../lib/rollouts/story';

/** Stories and gates in memory, keyed as the DynamoDB stores key them. */
export function memoryStories(): StoryStore {
  const d = memoryDocs<Story>('rollout story');
  const key = (ns: string, n: string, at?: number) => `${ns}/${n}${at === undefined ? '' : `#${at}`}`;
  return {
    get: (ns, n, at) => d.get(key(ns, n, at)),
    put: (s, v, archived) =>
      d.put(key(s.namespace, s.name, archived ? s.rollout.startedAt : undefined), s, v),
  };
}

export function memoryGates(): GateStore {
  const d = memoryDocs<GateState>('gate state');
  return { get: (ns, n) => d.get(`${ns}/${n}`), put: (s, v) => d.put(`${s.namespace}/${s.name}`, s, v) };
}
