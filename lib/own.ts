/**
 * `table[key]` when `key` is the table's own: a key from a request, a queued message or a file
 * (`__proto__`, `constructor`, `toString`) never reaches Object.prototype, so it reads as unknown.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A JSON object (not null, not a list): what a request's nested value must be before its keys are read. */
export const isRecord = <T>(v: T): v is T & Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
