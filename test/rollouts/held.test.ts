// What quiet hours hold and how: never a failure, a rollback or an approval waiting; each message
// once; due at the earliest end; bounded.
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../lib/event/classify';
import { HELD_MAX, type HeldMessage, quietHolds, withHeld } from '../../lib/rollouts/held';

const m = (id: string, at = 0): HeldMessage => ({
  id,
  canary: 'podinfo.test',
  kind: 'progress',
  message: id,
  at,
});
const END = { until: 2000, when: '07:00 UTC' };

describe('held messages', () => {
  it('hold everything that may wait, and never a failure, a rollback or an approval waiting', () => {
    expect(KINDS.filter((k) => !quietHolds(k)).sort()).toEqual(['failed', 'rolled-back', 'waiting']);
  });

  it('keep each message once, whether it waits or is being summarised', () => {
    const one = withHeld(undefined, m('a'), END);
    expect(one).toEqual({ items: [m('a')], overflow: 0, until: 2000, when: '07:00 UTC' });
    expect(withHeld(one, m('a'), END)).toBeUndefined();
    const sending = {
      items: [],
      overflow: 0,
      until: 2000,
      when: '07:00 UTC',
      sending: { items: [m('b')], overflow: 0, at: 1 },
    };
    expect(withHeld(sending, m('b'), END)).toBeUndefined();
    // What is being sent stays with the new message.
    expect(withHeld(sending, m('c'), END)?.sending).toEqual(sending.sending);
  });

  it('are due at the earliest end among them, said in its words', () => {
    const held = withHeld(undefined, m('a'), { until: 2000, when: 'first' });
    expect(withHeld(held, m('b'), { until: 3000, when: 'later' })).toMatchObject({
      until: 2000,
      when: 'first',
    });
    expect(withHeld(held, m('b'), { until: 1000, when: 'sooner' })).toMatchObject({
      until: 1000,
      when: 'sooner',
    });
    expect(withHeld(held, m('b'), { until: 2000, when: 'same' })).toMatchObject({
      until: 2000,
      when: 'first',
    });
    // Nothing held yet (the last batch went out): the new message's end.
    const empty = { items: [], overflow: 0, until: 500, when: 'gone' };
    expect(withHeld(empty, m('b'), { until: 3000, when: 'new' })).toMatchObject({ until: 3000, when: 'new' });
  });

  it(`keep at most ${HELD_MAX}, and count the rest`, () => {
    let held = withHeld(undefined, m('0'), END);
    for (let i = 1; i < HELD_MAX; i++) held = withHeld(held, m(String(i)), END);
    expect(held?.items).toHaveLength(HELD_MAX);
    const over = withHeld(withHeld(held, m('x'), END), m('y'), END);
    expect(over?.items).toHaveLength(HELD_MAX);
    expect(over?.overflow).toBe(2);
  });
});
