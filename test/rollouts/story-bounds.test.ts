// A long wait for approval repeats one event on every interval: the story keeps it as one entry
// (how often, from when to when), the rollout still counts every repeat, its outcome is never
// dropped, and the item (and its page) stay bounded.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import {
  addResult,
  applyEvent,
  EVENTS_MAX,
  RESULTS_MAX,
  type Results,
  type Story,
} from '../../lib/rollouts/story';
import { rolloutPage } from '../../lib/web/page';

const T0 = Date.UTC(2026, 11, 2, 12);
const ev = (phase: string, eventMessage: string, at: number, eventType = 'Normal'): FlaggerEvent => ({
  name: 'shipping',
  namespace: 'demo',
  phase,
  checksum: 'abc123',
  metadata: { eventMessage, eventType: eventType as 'Normal', timestamp: String(at) },
});
const WAIT = 'Halt shipping.demo advancement waiting for promotion approval promotion-gate';
/** npm run demo's canary: started, two steps, then a wait of `n` checks 2 s apart. */
const waiting = (n: number) => [
  ev('Progressing', 'New revision detected! Scaling up shipping.demo', T0),
  ev('Progressing', 'Starting canary analysis for shipping.demo', T0 + 1000),
  ev('Progressing', 'Advance shipping.demo canary weight 25', T0 + 2000),
  ...Array.from({ length: n }, (_, i) => ev('WaitingPromotion', WAIT, T0 + 3000 + i * 2000)),
];
const promoted = (at: number) => [
  ev('Promoting', 'Confirm-promotion check promotion-gate passed', at),
  ev('Succeeded', 'Promotion completed! Scaling down shipping.demo', at + 1000),
];

function play(events: FlaggerEvent[], story?: Story) {
  let s = story;
  for (const e of events) s = applyEvent(s, e, eventIdentity(e)).story;
  return s as Story;
}

describe('a story through a long wait', () => {
  it('keeps a 5-minute wait (150 checks) as one entry with its count and span; the rollout counts each', () => {
    const s = play(waiting(150));
    expect(s.events).toHaveLength(4);
    expect(s.events[3]).toMatchObject({
      message: WAIT,
      repeat: 150,
      at: T0 + 3000,
      lastAt: T0 + 3000 + 149 * 2000,
    });
    expect(s.rollout.events).toBe(153);
    expect(s.overflow).toBe(0);
  });

  it('recognises a resend of a recent repeat, and counts a new one', () => {
    const events = waiting(30);
    const s = play(events);
    const again = applyEvent(s, events.at(-2) as FlaggerEvent, eventIdentity(events.at(-2) as FlaggerEvent));
    expect(again.changed).toBe(false);
    const next = ev('WaitingPromotion', WAIT, T0 + 3000 + 30 * 2000);
    expect(applyEvent(s, next, eventIdentity(next)).story.events[3]?.repeat).toBe(31);
  });

  it('after a wait longer than the story keeps, still reaches and shows the outcome', () => {
    // 300 repeats: more checks than EVENTS_MAX entries.
    const s = play([...waiting(300), ...promoted(T0 + 700_000)]);
    expect(s.rollout.status).toBe('promoted');
    expect(s.events.map((e) => e.phase)).toEqual([
      'Progressing',
      'Progressing',
      'Progressing',
      'WaitingPromotion',
      'Promoting',
      'Succeeded',
    ]);
  });

  it('past EVENTS_MAX different events counts the rest and still moves the rollout on', () => {
    const steps = Array.from({ length: EVENTS_MAX + 20 }, (_, i) =>
      ev(
        'Progressing',
        `Halt shipping.demo advancement request-success-rate ${i}% < 99%`,
        T0 + 3000 + i * 1000,
        'Warning',
      ),
    );
    const s = play([...waiting(0), ...steps, ...promoted(T0 + 900_000)]);
    expect(s.events).toHaveLength(EVENTS_MAX);
    expect(s.overflow).toBe(25);
    expect(s.rollout.status).toBe('promoted');
  });

  it('an event that arrives late lands in order without undoing the collapse or the counts', () => {
    const events = waiting(40);
    const late = events.splice(20, 1)[0] as FlaggerEvent;
    const s = play([...events, late]);
    expect(s.events).toHaveLength(4);
    expect(s.events[3]?.repeat).toBe(40);
    expect(s.rollout).toEqual(play(waiting(40)).rollout);
  });

  it('stays well inside a DynamoDB item (400 KB) with EVENTS_MAX long, different messages', () => {
    const long = Array.from({ length: EVENTS_MAX + 50 }, (_, i) =>
      ev('Progressing', `${i} ${'x'.repeat(5000)}`, T0 + 3000 + i * 1000, 'Warning'),
    );
    const s = play([...waiting(0), ...long]);
    expect(Buffer.byteLength(JSON.stringify(s))).toBeLessThan(250_000);
  });

  it('keeps RESULTS_MAX results per destination, dropping the oldest first', () => {
    let r: Results = {};
    for (let i = 0; i < RESULTS_MAX + 30; i++)
      r = addResult(r, 'ops', 'slack', `id-${i}`, { state: 'delivered', at: T0 + i });
    const ids = Object.keys(r.ops?.results ?? {});
    expect(ids).toHaveLength(RESULTS_MAX);
    expect(ids).not.toContain('id-29');
    expect(ids).toContain('id-30');
    expect(ids).toContain(`id-${RESULTS_MAX + 29}`);
  });
});

describe('a waiting canary’s page', () => {
  it('with 13 destinations after a 5-minute wait: one row per repeat, with its count and span, under 100 KB', () => {
    let s = play(waiting(150));
    const ids = waiting(150).map((e) => eventIdentity(e));
    for (let d = 0; d < 13; d++)
      for (const [i, id] of ids.entries())
        s = {
          ...s,
          destinations: addResult(s.destinations, `dest-${d}`, 'webhook', id, {
            state: 'delivered',
            at: T0 + i * 2000,
            status: 200,
            attempts: 1,
            sent: 'every event',
          }),
        };
    const html = rolloutPage(s);
    expect(Buffer.byteLength(html)).toBeLessThan(100_000);
    expect(html.match(/waiting for promotion approval/g)).toHaveLength(1 + 13);
    expect(html).toContain('2026-12-02 12:00:03 – 12:05:01');
    expect(html).toContain('(150×)');
    // Each destination's row says how many of the repeats it got (the 20 latest are kept with the entry).
    expect(html).toContain('(21×)');
  });
});
