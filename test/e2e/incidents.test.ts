// From npm start with the stand-ins: the sample failed rollout triggers a PagerDuty incident and
// its next rollout resolves it; Telegram shows one message per rollout, edited as it moves.
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, postAll } from '../helpers/pipeline';

interface Item {
  provider: string;
  kind: string;
  id: string;
  parent?: string;
  payload: { event_action?: string; dedup_key?: string; text?: string; tags?: string[] };
}

describe('local pipeline end to end: incidents and Telegram', () => {
  it('triggers then resolves one PagerDuty incident, edits one Telegram message and draws one Grafana region per rollout', async () => {
    const p = await pipeline({});
    const base = p.url.replace(/\/events$/, '');
    const checkout = fixtureLines.filter((l) => l.includes('"checkout"'));
    // The next revision ten minutes later: its first event ends the failure.
    const next = checkout.slice(0, 2).map((l) => {
      const e = JSON.parse(l);
      e.metadata.timestamp = String(Number(e.metadata.timestamp) + 600_000);
      e.checksum = 'feedface01';
      return JSON.stringify(e);
    });
    await postAll(p.url, checkout);
    const items = async () => (await (await fetch(`${base}/inbox/messages`)).json()) as Item[];
    const of = async (provider: string) => (await items()).filter((x) => x.provider === provider);
    const until = async (done: () => Promise<boolean>) => {
      for (let i = 0; i < 150 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await until(async () => (await of('pagerduty')).length >= 1);
    await postAll(p.url, next);
    await until(
      async () =>
        (await of('pagerduty')).length >= 2 &&
        (await of('telegram')).filter((x) => x.kind === 'message').length >= 2 &&
        (await of('grafana')).filter((x) => x.kind === 'message').length >= 2,
    );

    const pd = (await of('pagerduty')).map((x) => [x.payload.event_action, x.payload.dedup_key]);
    expect(pd).toEqual([
      ['trigger', 'flagger/shop/checkout'],
      ['resolve', 'flagger/shop/checkout'],
    ]);
    const tg = await of('telegram');
    const messages = tg.filter((x) => x.kind === 'message');
    expect(messages).toHaveLength(2);
    const first = messages[0]?.id;
    const edits = tg.filter((x) => x.kind === 'update' && x.id === first);
    expect(edits.length).toBeGreaterThan(2);
    expect(edits.at(-1)?.payload.text).toContain('checkout.shop · Failed');
    // Its failure was replied to, under the first rollout's message.
    expect(tg.filter((x) => x.kind === 'reply').map((x) => x.parent)).toEqual([first]);
    // Grafana: one region per rollout; the first ends tagged with its outcome.
    const regions = await of('grafana');
    expect(regions.filter((x) => x.kind === 'message')).toHaveLength(2);
    const firstRegion = regions.find((x) => x.kind === 'message')?.id;
    const moved = regions.filter((x) => x.kind === 'update' && x.id === firstRegion);
    expect(moved.at(-1)?.payload.tags).toContain('failed');
  }, 60_000);
});
