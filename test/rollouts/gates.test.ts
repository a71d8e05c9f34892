// The gate model itself (lib/rollouts/gates.ts): what a decision records, for which rollout and
// revision, and what it leaves alone — each rule pinned on both sides.
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import {
  asked,
  decide,
  type GateRequest,
  type GateState,
  isOpen,
  revisionFor,
} from '../../lib/rollouts/gates';
import type { Story } from '../../lib/rollouts/story';
import { fixtures } from '../helpers/fixtures';
import { memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const canary = { namespace: 'web', name: 'frontend' };
const T = 1_700_000_000_000;

async function waiting(): Promise<Story> {
  const stories = memoryStories();
  let s: Story | undefined;
  for (const e of fixtures.filter((x) => x.name === 'frontend').slice(0, 3))
    s = await storyOf(stories, e, eventIdentity(e));
  return s as Story;
}
const req = (over: Partial<GateRequest> = {}): GateRequest => ({
  kind: 'gate',
  action: 'open',
  by: 'ana',
  how: 'slack',
  at: T,
  ...over,
});
/** Flagger asked about `checksum` during the story's rollout. */
const askedFor = (story: Story, checksum: string, state?: GateState) =>
  asked(state, canary, 'gate', checksum, story.rollout.startedAt) as GateState;

describe('revisionFor and asked', () => {
  it('without any state, the revision the story names (none yet here)', async () => {
    const story = await waiting();
    expect(revisionFor(undefined, 'gate', story)).toBe(story.rollout.revision);
    expect(revisionFor({ ...canary, decisions: {}, audit: [] }, 'gate', story)).toBe(story.rollout.revision);
  });

  it('remembers a new revision once per rollout, each gate apart, and forgets the rollout when none is known', async () => {
    const story = await waiting();
    const first = askedFor(story, 'aaa');
    expect(first).toEqual({
      ...canary,
      decisions: {},
      audit: [],
      asked: { gate: 'aaa' },
      askedIn: { gate: story.rollout.startedAt },
    });
    // The same revision in the same rollout: nothing to write.
    expect(asked(first, canary, 'gate', 'aaa', story.rollout.startedAt)).toBeUndefined();
    // The same revision in another rollout is new.
    expect(asked(first, canary, 'gate', 'aaa', story.rollout.startedAt + 1)?.askedIn?.gate).toBe(
      story.rollout.startedAt + 1,
    );
    // The rollback gate is remembered beside it, not over it.
    const both = asked(first, canary, 'rollback', 'bbb', story.rollout.startedAt) as GateState;
    expect(both.askedIn).toEqual({ gate: story.rollout.startedAt, rollback: story.rollout.startedAt });
    // Asked with no rollout known: the gate's rollout is forgotten, not kept as undefined.
    const unknown = asked(both, canary, 'gate', 'ccc') as GateState;
    expect(Object.keys(unknown.askedIn ?? {})).toEqual(['rollback']);
    expect(revisionFor(unknown, 'gate', story)).toBe(story.rollout.revision);
  });
});

describe('decide', () => {
  it('a first approval: the decision, one audit line, no votes left behind, no vote count without a quorum', async () => {
    const story = await waiting();
    const { state, outcome } = decide(undefined, story, req());
    expect(outcome.result).toBe('opened');
    expect(state).toMatchObject({ ...canary, decisions: { gate: { open: true, by: 'ana', at: T } } });
    expect(state.audit).toHaveLength(1);
    expect(Object.keys(state.votes ?? {})).toEqual([]);
    expect(state.decisions.gate?.vote).toBeUndefined();
    expect(state.decisions.gate?.until).toBeUndefined();
    // Opening again: unchanged, and says which decision stands.
    const again = decide(state, story, req({ by: 'bo' }));
    expect(again.outcome).toMatchObject({ result: 'unchanged', open: true, change: { by: 'ana' } });
    expect(again.state).toBe(state);
  });

  it('keeps the cluster of a fleet’s canary', async () => {
    const story = { ...(await waiting()), cluster: 'prod-eu' };
    expect(decide(undefined, story, req()).state.cluster).toBe('prod-eu');
  });

  it('closing a closed gate with no votes changes nothing, and says the gate is closed', async () => {
    const story = await waiting();
    const { state, outcome } = decide(
      { ...canary, decisions: {}, audit: [] },
      story,
      req({ action: 'close' }),
    );
    expect(outcome).toEqual({ result: 'unchanged', open: false });
    expect(state.audit).toEqual([]);
  });

  it('keeps the last 100 changes in the audit', async () => {
    const story = await waiting();
    let state: GateState | undefined;
    for (let i = 0; i < 130; i++)
      state = decide(state, story, req({ action: i % 2 ? 'close' : 'open', at: T + i })).state;
    expect(state?.audit).toHaveLength(100);
    expect(state?.audit[0]?.at).toBe(T + 30);
  });

  it('a rejection keeps at most 300 characters of its reason, and an empty one when none is given', async () => {
    const story = await waiting();
    expect(
      decide(undefined, story, req({ action: 'reject', reason: 'r'.repeat(400) })).state.decisions.gate
        ?.rejected,
    ).toHaveLength(300);
    expect(decide(undefined, story, req({ action: 'reject' })).state.decisions.gate?.rejected).toBe('');
  });

  it.each([
    ['slack', 'refused'],
    ['link', 'refused'],
    ['api', 'opened'],
    ['cli', 'opened'],
  ] as const)('after a rejection, an approval from %s is %s', async (how, result) => {
    const story = await waiting();
    const rejected = decide(undefined, story, req({ action: 'reject', reason: 'no' })).state;
    expect(decide(rejected, story, req({ how })).outcome.result).toBe(result);
  });

  it('a rejection binds to its revision: the next revision Flagger asks about in the same rollout is free of it', async () => {
    const story = await waiting();
    const rejected = decide(askedFor(story, 'aaa'), story, req({ action: 'reject', reason: 'no' })).state;
    expect(rejected.decisions.gate?.revision).toBe('aaa');
    expect(decide(rejected, story, req()).outcome.result).toBe('refused');
    const next = askedFor(story, 'bbb', rejected);
    expect(decide(next, story, req()).outcome.result).toBe('opened');
    // A decision with no revision (asked before any was known) holds for whichever is asked.
    const unbound = decide(undefined, story, req({ action: 'reject', reason: 'no' })).state;
    expect(decide(askedFor(story, 'ccc', unbound), story, req()).outcome.result).toBe('refused');
  });

  it('a quorum: votes leave the decision alone, count people by identity (any case), and open at the last', async () => {
    const story = await waiting();
    const rules = { minApprovals: 3, ttlMs: 60_000 };
    const one = decide(undefined, story, req({ by: 'ana (U1)', identity: 'Ana@X.io' }), rules);
    expect(one.outcome.result).toBe('counted');
    expect(one.state.decisions.gate).toBeUndefined();
    expect(one.state.votes?.gate?.who).toEqual(['ana@x.io']);
    // The same person from the page: another label, the same identity.
    expect(
      decide(one.state, story, req({ by: 'ana@x.io', how: 'link', identity: 'ana@x.io' }), rules).outcome,
    ).toMatchObject({
      result: 'unchanged',
      counted: { who: ['ana@x.io'] },
    });
    // Without an identity, the label counts (lower-cased).
    const two = decide(one.state, story, req({ by: 'BO' }), rules);
    expect(two.state.votes?.gate?.who).toEqual(['ana@x.io', 'bo']);
    expect(two.state.audit.map((a) => a.vote)).toEqual([
      { n: 1, of: 3 },
      { n: 2, of: 3 },
    ]);
    const three = decide(two.state, story, req({ by: 'cy', at: T + 5 }), rules);
    expect(three.outcome.result).toBe('opened');
    expect(three.state.decisions.gate).toMatchObject({
      open: true,
      vote: { n: 3, of: 3 },
      until: T + 5 + 60_000,
    });
    expect(Object.keys(three.state.votes ?? {})).toEqual([]);
    expect(isOpen(three.state, 'gate', story, undefined, T + 5 + 59_999)).toBe(true);
    expect(isOpen(three.state, 'gate', story, undefined, T + 5 + 60_000)).toBe(false);
  });

  it('a quorum counts again for a new revision', async () => {
    const story = await waiting();
    const rules = { minApprovals: 2 };
    const a = decide(askedFor(story, 'aaa'), story, req({ identity: 'ana' }), rules).state;
    const moved = askedFor(story, 'bbb', a);
    const b = decide(moved, story, req({ identity: 'bo' }), rules);
    expect(b.outcome.result).toBe('counted');
    expect(b.state.votes?.gate).toEqual({ rollout: story.rollout.startedAt, revision: 'bbb', who: ['bo'] });
  });
});
