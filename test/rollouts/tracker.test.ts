import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/event/classify';
import type { FlaggerEvent } from '../../lib/event/event';
import { isEnded, type Rollout, reduce, type Step } from '../../lib/rollouts/tracker';
import { fixtures } from '../helpers/fixtures';

const of = (ns: string, name: string) => fixtures.filter((e) => e.namespace === ns && e.name === name);
/** Every step of a sequence, with the state carried through JSON as the store carries it. */
function run(events: FlaggerEvent[]): Step[] {
  let state: Rollout | undefined;
  return events.map((e) => {
    const step = reduce(state, e);
    state = JSON.parse(JSON.stringify(step.rollout));
    return step;
  });
}
const milestones = (steps: Step[]) =>
  steps.filter((s) => s.milestone).map((s) => s.rollout.lastMessage.slice(0, 30));

describe('rollout tracker on the sample rollouts', () => {
  it('podinfo: one rollout from "New revision" to promotion, the revision learnt after the start', () => {
    const steps = run(of('test', 'podinfo'));
    expect(steps.filter((s) => s.started)).toHaveLength(1);
    const last = steps.at(-1)?.rollout as Rollout;
    expect(last).toMatchObject({
      canary: 'podinfo.test',
      revision: '6d5c8f7b9c', // not 3e2d1c0b9a, the previous revision the first event carries
      status: 'promoted',
      weight: 50,
      passed: ['acceptance-test'],
      failed: [{ name: 'request-success-rate', count: 1 }],
      events: 13,
    });
    expect(last.endedAt).toBe(Number(fixtures[12]?.metadata.timestamp));
    expect(milestones(steps)).toEqual([
      'New revision detected! Scaling',
      'Halt advancement no values fou',
      'Promotion completed! Scaling d',
    ]);
  });

  it('checkout: repeated halts of one metric are counted, not repeated; one failure with its reason', () => {
    const steps = run(of('shop', 'checkout'));
    const last = steps.at(-1)?.rollout as Rollout;
    expect(last.failed).toEqual([
      { name: 'success rate', count: 2, last: 'Halt checkout.shop advancement success rate 61.20% < 99%' },
      {
        name: 'request duration',
        count: 1,
        last: 'Halt checkout.shop advancement request duration 1.515s > 500ms',
      },
    ]);
    expect(last).toMatchObject({ status: 'failed', failedChecks: 5 });
    expect(last.reason).toMatch(/^Rolling back checkout.shop failed checks threshold reached 5/);
    const notes = steps.flatMap((s) => s.notes);
    expect(notes.map((n) => n.kind)).toEqual(['check', 'check', 'outcome']);
    expect(notes.at(-1)?.broadcast).toBe(true);
    expect(milestones(steps)).toHaveLength(3);
  });

  it('frontend: initialization on its own, then a rollout with two approval gates passed', () => {
    const steps = run(of('web', 'frontend'));
    expect(steps.map((s) => s.started)).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(steps[1]?.rollout.status).toBe('initializing');
    const last = steps.at(-1)?.rollout as Rollout;
    expect(last.gates).toEqual([
      { name: 'gate-keeper', passed: true },
      { name: 'promotion-gate', passed: true },
    ]);
    expect(last).toMatchObject({ status: 'promoted', primaryWeight: 50, iteration: { n: 1, of: 10 } });
    expect(milestones(steps)).toEqual([
      'Initialization done! frontend.',
      'Halt frontend.web advancement ',
      'Halt frontend.web advancement ',
      'Promotion completed! Canary an',
    ]);
  });

  it('payments: a failure, late events kept on it, then termination said once', () => {
    const steps = run(of('billing', 'payments'));
    expect(steps.filter((s) => s.started)).toHaveLength(1);
    expect(steps.at(-1)?.rollout.status).toBe('terminated');
    expect(steps.at(-1)?.rollout.reason).toMatch(/^Rolling back payments.billing progress deadline/);
    expect(milestones(steps)).toEqual(['Rolling back payments.billing ', 'Terminating canary payments.bi']);
  });

  it('sends at most Flagger’s own count + 1 milestones for every sample rollout', () => {
    for (const [ns, name] of [
      ['test', 'podinfo'],
      ['shop', 'checkout'],
      ['web', 'frontend'],
      ['billing', 'payments'],
      ['default', 'legacy'],
      ['team-a', 'api'],
    ] as const) {
      const steps = run(of(ns, name));
      const rollouts = steps.filter((s) => s.started).length;
      // Flagger's notifier: start and outcome per rollout, 2.
      expect(steps.filter((s) => s.milestone).length, `${ns}/${name}`).toBeLessThanOrEqual(rollouts * 3);
    }
  });
});

describe('the same canary rolling out again', () => {
  const stamp = (e: FlaggerEvent, ms: number, checksum = e.checksum): FlaggerEvent => ({
    ...e,
    ...(checksum ? { checksum } : {}),
    metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + ms) },
  });

  it('starts a second rollout on “New revision detected” seconds after a failure, same checksum, and says all of it again', () => {
    const first = of('shop', 'checkout');
    // The same revision retried 5 s later: the same words, the same checksums.
    const second = first.map((e) => stamp(e, 60_000));
    const steps = run([...first, ...second]);
    expect(steps.filter((s) => s.started)).toHaveLength(2);
    expect(milestones(steps)).toEqual([...milestones(run(first)), ...milestones(run(first))]);
    expect(steps.at(-1)?.rollout).toMatchObject({
      status: 'failed',
      startedAt: Number(second[0]?.metadata.timestamp),
    });
  });

  it('starts a new rollout on the first sign of analysis after an outcome when its start was never seen', () => {
    const [start, ...rest] = of('test', 'podinfo');
    const done = run([start as FlaggerEvent, ...rest]).at(-1)?.rollout as Rollout;
    expect(done.status).toBe('promoted');
    const advance = stamp(rest[3] as FlaggerEvent, 120_000); // "Advance podinfo.test canary weight 10"
    const step = reduce(done, advance);
    expect(step.started).toBe(true);
    expect(step.rollout).toMatchObject({ status: 'progressing', weight: 10 });
  });

  it('counts a halt repeated every interval (new timestamps) on one rollout instead of repeating it', () => {
    const halt = of('shop', 'checkout').find((e) =>
      e.metadata.eventMessage.startsWith('Halt checkout.shop advancement request'),
    );
    const [start] = of('shop', 'checkout');
    const steps = run([
      start as FlaggerEvent,
      ...[0, 60_000, 120_000].map((ms) => stamp(halt as FlaggerEvent, ms)),
    ]);
    expect(steps.filter((s) => s.milestone)).toHaveLength(2); // the start and the first halt
    expect(steps.at(-1)?.rollout.failed).toEqual([expect.objectContaining({ count: 3 })]);
  });
});

describe('rollout tracker on generated sequences', () => {
  const canaryEvents = fc.array(
    fc.constantFrom(
      ...of('test', 'podinfo'),
      ...of('shop', 'checkout').map((e) => ({ ...e, namespace: 'test', name: 'podinfo' })),
    ),
    {
      maxLength: 40,
    },
  );

  it('never throws, is deterministic, and survives the store’s JSON round trip', () => {
    fc.assert(
      fc.property(canaryEvents, (events) => {
        let live: Rollout | undefined;
        for (const [i, step] of run(events).entries()) {
          const again = reduce(live, events[i] as FlaggerEvent);
          expect(again).toEqual(step);
          live = step.rollout;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('says each outcome once per rollout, counts every failed check, and keeps an ended rollout ended', () => {
    fc.assert(
      fc.property(canaryEvents, (events) => {
        const steps = run(events);
        let outcomes = 0;
        let halts = 0;
        steps.forEach((s, i) => {
          const kind = classify(events[i] as FlaggerEvent).kind;
          if (s.started) {
            outcomes = 0;
            halts = 0;
            expect(s.rollout.events).toBe(1);
          } else {
            const before = steps[i - 1]?.rollout as Rollout;
            if (isEnded(before)) expect(isEnded(s.rollout)).toBe(true);
          }
          outcomes += s.notes.filter((n) => n.kind === 'outcome').length;
          if (kind === 'check-failed') halts += 1;
          expect(outcomes).toBeLessThanOrEqual(2); // a failure, then a termination at most
          expect(s.rollout.failed.reduce((n, c) => n + c.count, 0)).toBe(halts);
          // One milestone per event at most, and only for something said.
          if (s.milestone) expect(s.started || s.notes.length > 0 || kind === 'initialized').toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });
});
