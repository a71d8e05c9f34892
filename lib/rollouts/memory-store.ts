import { StateConflictError } from '../errors';
import { isFailing, MAX_APPLIED, type RolloutRecord, type RolloutStore, type Versioned } from './state';

/**
 * Versioned documents in memory, with the state table's semantics: a write over a version someone
 * moved on from is a StateConflictError; documents are stored as JSON, so no caller shares one.
 */
export function memoryDocs<T>(what: string) {
  const items = new Map<string, { doc: string; version: number }>();
  return {
    items,
    async get(key: string): Promise<Versioned<T> | undefined> {
      const item = items.get(key);
      return item ? { value: JSON.parse(item.doc) as T, version: item.version } : undefined;
    },
    async put(key: string, value: T, version: number): Promise<number> {
      if ((items.get(key)?.version ?? 0) !== version)
        throw new StateConflictError(`${what} changed meanwhile`);
      items.set(key, { doc: JSON.stringify(value), version: version + 1 });
      return version + 1;
    },
  };
}

/**
 * Rollout state in memory, with the DynamoDB store's semantics (versioned conditional writes,
 * bounded `applied`, the failing index): for tests and tools without a state table. The same
 * contract suite runs against both (test/stores/rollouts.test.ts).
 */
export function memoryRolloutStore(): RolloutStore {
  const docs = memoryDocs<RolloutRecord>('rollout state');
  return {
    get: (key) => docs.get(key),
    put: (key, value, version) =>
      docs.put(key, { ...value, applied: value.applied.slice(-MAX_APPLIED) }, version),
    async failing() {
      return [...docs.items.entries()]
        .map(([key, item]) => ({ key, value: JSON.parse(item.doc) as RolloutRecord }))
        .filter((r) => isFailing(r.value));
    },
  };
}
