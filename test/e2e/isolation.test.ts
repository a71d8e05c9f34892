// npm start's command as Lambda's event source runs the workers: a slow destination delays only itself.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, post, receiver } from '../helpers/pipeline';

describe('local pipeline end to end: a slow destination beside a healthy one', () => {
  it('delivers each of the healthy destination’s four events, posted a second apart, within 2 s while the other answers in 8 s', async () => {
    const rx = await receiver((req, res) => {
      if (req.path.startsWith('/slow')) setTimeout(() => res.writeHead(200).end('ok'), 8000);
      else res.writeHead(200).end('ok');
    });
    const dir = mkdtempSync(join(tmpdir(), 'isolation-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      `destinations:\n  healthy: { type: slack, url: "${rx.url('/healthy')}" }\n  slow: { type: slack, url: "${rx.url('/slow')}" }\n`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '' });
    const events = fixtureLines.filter((l) => l.includes('"podinfo"')).slice(0, 4);
    const sentAt: number[] = [];
    for (const e of events) {
      sentAt.push(Date.now());
      expect((await post(p.url, e)).status).toBe(202);
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() - (sentAt.at(-1) as number))));
    }
    const healthy = () => rx.received.filter((r) => r.path.startsWith('/healthy'));
    const deadline = Date.now() + 10_000;
    while (healthy().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const late = healthy().map((r, i) => r.at - (sentAt[i] as number));
    expect(late).toHaveLength(4);
    for (const ms of late) expect(ms).toBeLessThan(2000);
    // In order, as Flagger sent them.
    expect(healthy().map((r) => (r.json as { text: string }).text)).toEqual(
      events.map((e) => expect.stringContaining(JSON.parse(e).metadata.eventMessage.slice(0, 20))),
    );
    console.log(
      `isolation: healthy destination's events delivered ${late.map((ms) => `${ms} ms`).join(', ')} after each POST, beside one answering in 8 s`,
    );
  }, 40_000);
});
