import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, postAll, receiver } from '../helpers/pipeline';
import { answer } from '../helpers/receiver';

// SOAK_CANARIES and SOAK_PER_CANARY shrink it for a quick check of the test itself.
const CANARIES = Number(process.env.SOAK_CANARIES ?? 50);
const PER = Number(process.env.SOAK_PER_CANARY ?? 40);

describe.runIf(process.env.SOAK)('soak: a 2,000-event backlog at default pacing', () => {
  it(
    'delivers 2,000 events over 50 canaries to a healthy webhook, none dead-lettered, and prints receives per event',
    async () => {
      const rx = await receiver(answer(200, 'ok'));
      const p = await pipeline({
        SLACK_WEBHOOK_URL: rx.url('/hook'),
        TEAMS_WEBHOOK_URL: '',
        MIN_INTERVAL_MS: '',
      });
      const started = Date.now();
      // PER distinct events per canary (distinct messages, so SQS deduplication keeps them all).
      const base = JSON.parse(fixtureLines.find((l) => l.includes('"podinfo"')) as string);
      const lines = Array.from({ length: PER }, (_, n) =>
        Array.from({ length: CANARIES }, (_, c) =>
          JSON.stringify({
            ...base,
            name: `soak-${c}`,
            metadata: { ...base.metadata, eventMessage: `Advance soak-${c} canary weight ${n}` },
          }),
        ),
      ).flat();
      await postAll(p.url, lines);
      const deadline = Date.now() + 100 * 60_000;
      for (let tick = 1; rx.received.length < lines.length && Date.now() < deadline; tick++) {
        await new Promise((r) => setTimeout(r, 1000));
        if (tick % 300 === 0) console.log(`soak: ${rx.received.length}/${lines.length} after ${tick} s`);
      }
      const attempts = [...p.output().matchAll(/delivered .*?attempt=(\d+)/g)].map((m) => Number(m[1]));
      const counts = new Map<number, number>();
      for (const a of attempts) counts.set(a, (counts.get(a) ?? 0) + 1);
      const histogram = [...counts].sort(([a], [b]) => a - b);
      console.log(
        `soak: ${rx.received.length}/${lines.length} delivered in ${Math.round((Date.now() - started) / 1000)} s; ` +
          `receives per delivered event: ${histogram.map(([a, n]) => `${a}×${n}`).join(', ')}; ` +
          `dead letters: ${(p.output().match(/dead-lettered/g) ?? []).length}`,
      );
      expect(rx.received).toHaveLength(lines.length);
      expect(p.output()).not.toContain('dead-lettered');
      // Order per canary: each canary's weights arrive in the order they were sent.
      for (let c = 0; c < CANARIES; c++) {
        const got = rx.received
          .map((r) => JSON.stringify(r.json))
          .filter((t) => t.includes(`soak-${c} canary weight`))
          .map((t) => Number(t.match(/canary weight (\d+)/)?.[1]));
        expect(got).toEqual(Array.from({ length: PER }, (_, n) => n));
      }
    },
    110 * 60_000,
  );
});
