import { StateConflictError } from '../errors';
import { isFailing, MAX_APPLIED, type RolloutRecord, type RolloutStore } from './state';

/**
 * Rollout state in memory, with the DynamoDB store's semantics (versioned conditional writes,
 * bounded `applied`, the failing index): for tests and tools without a state table. The same
 * contract suite runs against both (test/stores/rollouts.test.ts).
 */
export function memoryRolloutStore(): RolloutStore {
  const items = new Map<string, { doc: string; version: number }>();
  return {
    async get(key) {
      const item = items.get(key);
      return item ? { value: JSON.parse(item.doc) as RolloutRecord, version: item.version } : undefined;
    },
    async put(key, value, version) {
      const known = items.get(key)?.version ?? 0;
      if (known !== version) {
        throw new StateConflictError('rollout state changed meanwhile (another delivery of this canary)');
      }
      items.set(key, {
        doc: JSON.stringify({ ...value, applied: value.applied.slice(-MAX_APPLIED) }),
        version: version + 1,
      });
      return version + 1;
    },
    async failing() {
      return [...items.entries()]
        .map(([key, item]) => ({ key, value: JSON.parse(item.doc) as RolloutRecord }))
        .filter((r) => isFailing(r.value));
    },
  };
}
