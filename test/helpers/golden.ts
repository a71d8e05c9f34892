import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { expect } from 'vitest';

const root = resolve(import.meta.dirname, '../golden');

/**
 * Compares with test/golden/<name>.json. `UPDATE_GOLDEN=1 npm test` rewrites them; review the diff
 * before committing. A missing file fails rather than being written silently.
 */
export function expectGolden(name: string, value: unknown): void {
  const file = resolve(root, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file))
    throw new Error(`no golden file ${name}.json: run UPDATE_GOLDEN=1 npm test and review it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}
