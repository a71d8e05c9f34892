// Richer decisions at a gate: a quorum of distinct approvers, a rejection with its reason that a
// click cannot undo, and an approval that lapses (APPROVAL_TTL), both sides of each limit.
import { describe, expect, it } from 'vitest';
import { eventIdentity } from '../../lib/event/identity';
import type { GateRules } from '../../lib/rollouts/gates';
import { approvalTtl, durationMs, handleGate } from '../../lib/web/gates';
import { changeLabel } from '../../lib/web/page';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const frontend = fixtures.filter((e) => e.name === 'frontend');
const target = { namespace: 'web', name: 'frontend' };
const T0 = 1_700_000_000_000;

async function setup(rules: GateRules = {}) {
  const deps = { stories: memoryStories(), gates: memoryGates() };
  for (const e of frontend.slice(0, 3)) await storyOf(deps.stories, e, eventIdentity(e));
  let now = T0;
  const act = async (
    action: 'open' | 'close' | 'reject',
    who: { by: string; how: 'slack' | 'link' | 'api' | 'cli'; identity?: string; reason?: string },
    kind: 'gate' | 'rollback' = 'gate',
  ) => {
    const r = await handleGate(kind, action, target, who, { ...deps, now: () => now, rules });
    return `${r.statusCode} ${r.body}`;
  };
  const check = async (kind: 'gate' | 'rollback' = 'gate') =>
    (await handleGate(kind, 'check', target, { by: 'flagger', how: 'api' }, { ...deps, now: () => now }))
      .statusCode;
  const audit = async () => ((await deps.gates.get(target))?.value.audit ?? []).map(changeLabel);
  return { act, check, audit, at: (ms: number) => (now = T0 + ms) };
}

describe('a quorum (minApprovals): distinct people, for this rollout and revision', () => {
  it('opens only at the second distinct approver; the same person twice counts once', async () => {
    const { act, check, audit } = await setup({ minApprovals: 2 });
    const ana = { by: 'ana', how: 'slack' as const, identity: 'ana@example.com' };
    expect(await act('open', ana)).toBe('202 Approval 1 of 2 recorded: 1 more needed');
    expect(await check()).toBe(403);
    expect(await act('open', { ...ana, how: 'link' })).toMatch(/^202 Your approval is already counted/);
    expect(await check()).toBe(403);
    expect(await act('open', { by: 'bo', how: 'link', identity: 'BO@example.com' })).toBe('202 Gate opened');
    expect(await check()).toBe(200);
    expect(await audit()).toEqual(['Approval 1 of 2', 'Approved']);
    // Once open, a third approver changes nothing.
    expect(await act('open', { by: 'cy', how: 'slack', identity: 'cy' })).toBe('202 Gate already open');
  });

  it('a close withdraws the votes counted so far', async () => {
    const { act, check } = await setup({ minApprovals: 2 });
    await act('open', { by: 'ana', how: 'slack', identity: 'ana' });
    expect(await act('close', { by: 'ops', how: 'cli' })).toBe('202 Gate closed');
    expect(await act('open', { by: 'bo', how: 'slack', identity: 'bo' })).toMatch(/^202 Approval 1 of 2/);
    expect(await check()).toBe(403);
  });

  it('never applies to a rollback: one person may stop a rollout', async () => {
    const { act, check } = await setup({ minApprovals: 3 });
    expect(await act('open', { by: 'ana', how: 'slack', identity: 'ana' }, 'rollback')).toBe(
      '202 Rollback opened',
    );
    expect(await check('rollback')).toBe(200);
  });
});

describe('a rejection: closed for this revision, with its reason', () => {
  it('closes an open gate, and a click cannot open it again; the gate API can (an override)', async () => {
    const { act, check, audit } = await setup();
    await act('open', { by: 'ana', how: 'slack' });
    expect(await check()).toBe(200);
    expect(await act('reject', { by: 'bo', how: 'link', reason: 'error budget spent' })).toBe(
      '202 Gate rejected',
    );
    expect(await check()).toBe(403);
    expect(await act('open', { by: 'ana', how: 'slack' })).toBe(
      '409 Gate rejected by bo: error budget spent. Only the gate API (flagger-notify gate open) opens it again for this revision',
    );
    expect(await act('open', { by: 'cy', how: 'link' })).toMatch(/^409 Gate rejected by bo/);
    expect(await act('reject', { by: 'cy', how: 'slack', reason: 'again' })).toBe(
      '202 Gate already rejected',
    );
    expect(await check()).toBe(403);
    expect(await act('open', { by: 'ops', how: 'cli' })).toBe('202 Gate opened');
    expect(await check()).toBe(200);
    expect(await audit()).toEqual(['Approved', 'Rejected', 'Approved']);
  });
});

describe('an approval that lapses (APPROVAL_TTL)', () => {
  it('is open up to the millisecond before it lapses, closed from then, and can be given again', async () => {
    const { act, check, at } = await setup({ ttlMs: 60_000 });
    await act('open', { by: 'ana', how: 'slack' });
    at(59_999);
    expect(await check()).toBe(200);
    at(60_000);
    expect(await check()).toBe(403);
    expect(await act('open', { by: 'ana', how: 'slack' })).toBe('202 Gate opened');
    expect(await check()).toBe(200);
  });

  it('without a TTL lasts while its rollout runs', async () => {
    const { act, check, at } = await setup();
    await act('open', { by: 'ana', how: 'slack' });
    at(30 * 86_400_000);
    expect(await check()).toBe(200);
  });

  it('reads APPROVAL_TTL as 1m to 30d, naming the variable otherwise', () => {
    expect(approvalTtl({})).toBeUndefined();
    expect(approvalTtl({ APPROVAL_TTL: '' })).toBeUndefined();
    expect(approvalTtl({ APPROVAL_TTL: '30m' })).toBe(1_800_000);
    expect(approvalTtl({ APPROVAL_TTL: '2h' })).toBe(7_200_000);
    expect(approvalTtl({ APPROVAL_TTL: '1m' })).toBe(60_000);
    expect(approvalTtl({ APPROVAL_TTL: '30d' })).toBe(30 * 86_400_000);
    expect(() => approvalTtl({ APPROVAL_TTL: '31d' })).toThrow(/APPROVAL_TTL: must be from 1m to 30d/);
    expect(() => approvalTtl({ APPROVAL_TTL: '0m' })).toThrow(/APPROVAL_TTL: must be from 1m to 30d/);
    expect(() => approvalTtl({ APPROVAL_TTL: '2 hours' })).toThrow(
      /APPROVAL_TTL: must be a duration such as 30m, 2h or 1d/,
    );
    expect(durationMs.safeParse('1d').data).toBe(86_400_000);
  });
});

describe('the gate API’s words and edges', () => {
  it('says a closed gate is already closed, and a refusal without a reason plainly', async () => {
    const { act } = await setup();
    expect(await act('close', { by: 'ops', how: 'cli' })).toBe('202 Gate already closed');
    await act('reject', { by: 'bo', how: 'link' });
    expect(await act('open', { by: 'ana', how: 'slack' })).toBe(
      '409 Gate rejected by bo. Only the gate API (flagger-notify gate open) opens it again for this revision',
    );
  });

  it('answers a canary it has never seen: check 403 (asked about, nothing to bind), open 409', async () => {
    const deps = { stories: memoryStories(), gates: memoryGates() };
    const other = { namespace: 'web', name: 'never', checksum: 'abc' };
    expect((await handleGate('gate', 'check', other, { by: 'f', how: 'api' }, deps)).statusCode).toBe(403);
    expect(await handleGate('gate', 'open', other, { by: 'ops', how: 'cli' }, deps)).toEqual({
      statusCode: 409,
      body: 'no rollout of never.web is known yet: a gate opens for the rollout running now',
    });
  });

  it('a check still answers when the revision it asked about cannot be written', async () => {
    const stories = memoryStories();
    for (const e of frontend.slice(0, 3)) await storyOf(stories, e, eventIdentity(e));
    const gates = { get: async () => undefined, put: async () => Promise.reject(new Error('throttled')) };
    const res = await handleGate(
      'gate',
      'check',
      { ...target, checksum: 'abc' },
      { by: 'f', how: 'api' },
      { stories, gates },
    );
    expect(res).toEqual({ statusCode: 403, body: 'Forbidden' });
  });

  it('reads APPROVAL_TTL whole, naming it in the error', () => {
    for (const bad of ['30mx', 'x30m'])
      expect(() => approvalTtl({ APPROVAL_TTL: bad }), bad).toThrow(
        'invalid approval configuration: APPROVAL_TTL: must be a duration such as 30m, 2h or 1d',
      );
  });
});
