import { type CanaryRef, canaryKey } from '../../lib/event/event';
import type { GateState, GateStore } from '../../lib/rollouts/gates';
import { memoryDocs } from '../../lib/rollouts/memory-store';
import type { Story, StoryStore } from '../../lib/rollouts/story';

/** Stories and gates in memory, keyed as the DynamoDB stores key them. */
export function memoryStories(): StoryStore {
  const d = memoryDocs<Story>('rollout story');
  const key = (c: CanaryRef, at?: number) => `${canaryKey(c)}${at === undefined ? '' : `#${at}`}`;
  return {
    get: (c, at) => d.get(key(c, at)),
    put: (s, v, archived) => d.put(key(s, archived ? s.rollout.startedAt : undefined), s, v),
  };
}

export function memoryGates(): GateStore {
  const d = memoryDocs<GateState>('gate state');
  return { get: (c) => d.get(canaryKey(c)), put: (s, v) => d.put(canaryKey(s), s, v) };
}
