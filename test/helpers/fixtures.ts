import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlaggerEvent } from '../../lib/event/event';

export const fixtureLines = readFileSync(
  resolve(import.meta.dirname, '../../events/flagger-events.jsonl'),
  'utf8',
)
  .split('\n')
  .filter(Boolean);

export const fixtures: FlaggerEvent[] = fixtureLines.map((l) => JSON.parse(l));

/** Stable, readable name per fixture for golden files and test titles. */
export const fixtureName = (e: FlaggerEvent, i: number) =>
  `${String(i + 1).padStart(2, '0')}-${e.namespace}-${e.name}-${e.phase || 'none'}`;

/** The first sample event: podinfo.test, "New revision detected!". */
export const base = fixtures[0] as FlaggerEvent;

/** The first sample event whose message starts with `start`. */
export const byMessage = (start: string) =>
  fixtures.find((e) => e.metadata.eventMessage.startsWith(start)) as FlaggerEvent;

/** The first sample event with another message and, optionally, extra metadata. */
export const withMessage = (eventMessage: string, extra: Record<string, string> = {}): FlaggerEvent => ({
  ...base,
  metadata: { ...base.metadata, ...extra, eventMessage },
});
