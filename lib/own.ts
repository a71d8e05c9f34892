/**
 * `table[key]` when `key` is the table's own: a key from a request, a queued message or a file
 * (`__proto__`, `constructor`, `toString`) never reaches Object.prototype, so it reads as unknown.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
