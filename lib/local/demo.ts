import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flaggerWaitingForApproval } from './flagger';

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
    // A refused token refuses every event: say so at once rather than after forty of them.
    if (res.status === 401) throw new Error(`POST /events answered 401: ${await res.text()}`);
    if (res.status === 202) sent++;
    await new Promise((r) => setTimeout(r, o.spacingMs ?? 1000));
  }
  return sent;
}

/**
 * `npm run demo` and the inbox's button: the sample rollouts, then a canary (shipping.demo) that
 * waits for promotion approval as Flagger would, asking the gate on every interval until someone
 * approves or rolls it back (in the inbox's Slack message, its rollout page, or the CLI).
 */
export async function runDemo(
  root: string,
  base: string,
  o: {
    spacingMs?: number;
    token?: string;
    gateIntervalMs?: number;
    gateWaitMs?: number;
    say?: (line: string) => void;
  },
): Promise<{ sent: number; gate: Awaited<ReturnType<typeof flaggerWaitingForApproval>> }> {
  const sent = await replayDemo(root, `${base}/events`, o);
  o.say?.(`demo: ${sent} sample events sent; the inbox is at ${base}/`);
  const gate = await flaggerWaitingForApproval(base, {
    ...(o.token ? { token: o.token } : {}),
    intervalMs: o.gateIntervalMs ?? 2000,
    waitMs: o.gateWaitMs ?? 300_000,
    onWaiting: () =>
      o.say?.(
        'demo: shipping.demo waits for promotion approval. Press Approve (or Roll back) in its Slack message or on its rollout page, or run `npx flagger-notify gate open demo/shipping`',
      ),
  });
  o.say?.(
    gate === 'still waiting'
      ? `demo: stopped waiting for shipping.demo after ${Math.round((o.gateWaitMs ?? 300_000) / 1000)} s without an approval or a rollback (DEMO_GATE_WAIT_SECONDS): as Flagger would after its timeout, it leaves the canary waiting`
      : `demo: shipping.demo ${gate}`,
  );
  return { sent, gate };
}
