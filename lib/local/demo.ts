import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Replays the sample rollouts (events/flagger-events.jsonl) to an ingest URL, each event stamped
 * with the time it is sent, `spacingMs` apart: the live messages move from start to outcome
 * within a minute at the default spacing.
 */
export async function replayDemo(
  root: string,
  ingestUrl: string,
  o: { spacingMs?: number; token?: string } = {},
): Promise<number> {
  const lines = readFileSync(resolve(root, 'events/flagger-events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const url = o.token ? `${ingestUrl}?token=${encodeURIComponent(o.token)}` : ingestUrl;
  let sent = 0;
  for (const line of lines) {
    const e = JSON.parse(line);
    e.metadata.timestamp = String(Date.now());
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(e),
    });
    if (res.status === 202) sent++;
    await new Promise((r) => setTimeout(r, o.spacingMs ?? 1000));
  }
  return sent;
}
