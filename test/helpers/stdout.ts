import { afterAll, beforeAll } from 'vitest';

/**
 * For the calling test file: stdout lines that `keep` selects are parsed as JSON and collected
 * (log lines, EMF metrics) instead of printed; every other line passes through.
 */
export function captureJsonLines<T = Record<string, unknown>>(keep: (line: string) => boolean): T[] {
  const lines: T[] = [];
  const write = process.stdout.write.bind(process.stdout);
  beforeAll(() => {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = String(chunk);
      if (!keep(text)) return write(chunk, ...rest);
      lines.push(JSON.parse(text) as T);
      return true;
    }) as typeof process.stdout.write;
  });
  afterAll(() => {
    process.stdout.write = write;
  });
  return lines;
}
