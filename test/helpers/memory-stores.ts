import { type CanaryRef, canaryKey } from '../../lib/event/event';
import type { GateState, GateStore } from '../../lib/rollouts/gates';
import { memoryDocs } from '../../lib/rollouts/memory-store';
import type { Results, Story, StoryStore } from '../../lib/rollouts/story';

/** Stories and gates in memory, keyed as the DynamoDB stores key them. */
export function memoryStories(): StoryStore {
  const d = memoryDocs<Story>('rollout story');
  const key = (c: CanaryRef, at?: number) => `${canaryKey(c)}${at === undefined ? '' : `#${at}`}`;
  const r = memoryDocs<Results>('rollout results');
  return {
    get: (c, at) => d.get(key(c, at)),
    put: (s, v, archived) => d.put(key(s, archived ? s.rollout.startedAt : undefined), s, v),
    results: (c, at, p) => r.get(`${p}#${key(c, at)}`),
    putResults: (c, at, p, value, v) => r.put(`${p}#${key(c, at)}`, value, v),
  };
}

export function memoryGates(): GateStore {
  const d = memoryDocs<GateState>('gate state');
  return { get: (c) => d.get(canaryKey(c)), put: (s, v) => d.put(canaryKey(s), s, v) };
}
