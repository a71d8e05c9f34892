// Flagger's gate webhooks, as the loadtester answers them, but durable and bound to one rollout.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { handleGate, parseGateBody } from '../../lib/web/gates';
import { fixtures } from '../helpers/fixtures';
import { memoryGates, memoryStories } from '../helpers/memory-stores';
import { storyOf } from '../helpers/stories';

const frontend = fixtures.filter((e) => e.name === 'frontend');
const target = { namespace: 'web', name: 'frontend' };
const api = { by: 'api', how: 'api' as const };
const later = (e: FlaggerEvent, ms: number, checksum?: string): FlaggerEvent => ({
  ...e,
  ...(checksum ? { checksum } : {}),
  metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + ms) },
});

async function setup(events = frontend.slice(0, 3)) {
  const deps = { stories: memoryStories(), gates: memoryGates() };
  for (const e of events) await storyOf(deps.stories, e, eventIdentity(e));
  const gate = (action: 'check' | 'open' | 'close', kind: 'gate' | 'rollback' = 'gate', t: object = target) =>
    handleGate(kind, action, { ...target, ...t }, api, deps).then(({ statusCode, body }) => ({
      statusCode,
      body,
    }));
  return { deps, gate };
}

describe('gates (POST /gate/… and /rollback/…)', () => {
  it('answers as the loadtester does: 403 closed, 202 open, 200 approved, 202 close, 403 again', async () => {
    const { gate } = await setup();
    expect(await gate('check')).toEqual({ statusCode: 403, body: 'Forbidden' });
    expect(await gate('open')).toEqual({ statusCode: 202, body: 'Gate opened' });
    expect(await gate('check')).toEqual({ statusCode: 200, body: 'Approved' });
    // The rollback gate is another gate.
    expect((await gate('check', 'rollback')).statusCode).toBe(403);
    expect(await gate('close')).toEqual({ statusCode: 202, body: 'Gate closed' });
    expect((await gate('check')).statusCode).toBe(403);
  });

  it('never opens for a canary with no rollout known (409), and a check stays 403', async () => {
    const { gate } = await setup([]);
    expect((await gate('open')).statusCode).toBe(409);
    expect((await gate('check')).statusCode).toBe(403);
  });

  it('belongs to one rollout: closed again at its outcome, and for the next release', async () => {
    const { deps, gate } = await setup();
    await gate('open');
    expect((await gate('check')).statusCode).toBe(200);
    // The rollout goes on to its promotion: the approval is spent.
    for (const e of frontend.slice(3)) await storyOf(deps.stories, e, eventIdentity(e));
    expect((await gate('check')).statusCode).toBe(403);
    // The next release waits again, minutes later, whatever was approved before.
    const next = frontend.slice(1, 3).map((e) => later(e, 600_000, 'ffffffff99'));
    for (const e of next) await storyOf(deps.stories, e, eventIdentity(e));
    expect((await gate('check')).statusCode).toBe(403);
  });

  it('binds an approval to the revision Flagger asked about, though no event has named it yet', async () => {
    const { gate, deps } = await setup();
    // Flagger asks for revision a1…; the story has not learnt any revision yet.
    expect((await deps.stories.get(target))?.value.rollout.revision).toBeUndefined();
    expect((await gate('check', 'gate', { checksum: 'a1a1a1a1a1' })).statusCode).toBe(403);
    expect((await gate('open')).statusCode).toBe(202);
    expect((await gate('check', 'gate', { checksum: 'a1a1a1a1a1' })).statusCode).toBe(200);
    // The next revision, before any of its events reached the workers: closed.
    expect((await gate('check', 'gate', { checksum: 'b2b2b2b2b2' })).statusCode).toBe(403);
    // One write per revision asked about, not one per check.
    const before = (await deps.gates.get(target))?.version;
    await gate('check', 'gate', { checksum: 'b2b2b2b2b2' });
    expect((await deps.gates.get(target))?.version).toBe(before);
  });

  it('refuses another revision: Flagger’s checksum must be the one approved', async () => {
    const { gate } = await setup([...frontend.slice(0, 3), later(frontend[3] as FlaggerEvent, 1000)]);
    await gate('open');
    expect((await gate('check', 'gate', { checksum: '77aa88bb99' })).statusCode).toBe(200);
    expect((await gate('check', 'gate', { checksum: 'another-revision' })).statusCode).toBe(403);
  });

  it('counts opening twice, or from two places at once, as one approval in the audit trail', async () => {
    const { deps, gate } = await setup();
    const answers = await Promise.all([
      gate('open'),
      handleGate('gate', 'open', target, { by: 'ana', how: 'cli' }, deps),
      gate('open'),
    ]);
    expect(answers.filter((a) => a.body === 'Gate opened')).toHaveLength(1);
    const audit = (await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit ?? [];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ kind: 'gate', open: true, rollout: expect.any(Number) });
  });

  it('records who, how, when and which rollout and revision for each change', async () => {
    const { deps } = await setup([...frontend.slice(0, 3), later(frontend[3] as FlaggerEvent, 1000)]);
    await handleGate('gate', 'open', target, { by: 'ana', how: 'cli' }, { ...deps, now: () => 1_000 });
    await handleGate('rollback', 'open', target, { by: 'bo', how: 'api' }, { ...deps, now: () => 2_000 });
    const audit = (await deps.gates.get({ namespace: 'web', name: 'frontend' }))?.value.audit;
    expect(
      audit?.map(({ kind, open, by, how, at, revision }) => ({ kind, open, by, how, at, revision })),
    ).toEqual([
      { kind: 'gate', open: true, by: 'ana', how: 'cli', at: 1_000, revision: '77aa88bb99' },
      { kind: 'rollback', open: true, by: 'bo', how: 'api', at: 2_000, revision: '77aa88bb99' },
    ]);
  });

  it.each([
    ['not JSON', '{', 'body is not valid JSON'],
    ['no name', '{"namespace":"web"}', 'name: must be a Kubernetes name'],
    ['a bad namespace', '{"name":"frontend","namespace":"Web"}', 'namespace: must be a Kubernetes namespace'],
    ['null', 'null', 'name: must be a Kubernetes name'],
    [
      'a bad namespace only',
      '{"name":"frontend","namespace":""}',
      'namespace: must be a Kubernetes namespace',
    ],
  ])('refuses a body with %s, naming the field', (_, body, error) => {
    expect(parseGateBody(body)).toBe(error);
  });

  it('reads Flagger’s checksum when it is a non-empty string, cut to 128 characters, and ignores it otherwise', () => {
    expect(parseGateBody('{"name":"a","namespace":"b","checksum":"abc"}')).toEqual({
      name: 'a',
      namespace: 'b',
      checksum: 'abc',
    });
    expect(parseGateBody(`{"name":"a","namespace":"b","checksum":"${'x'.repeat(200)}"}`)).toEqual({
      name: 'a',
      namespace: 'b',
      checksum: 'x'.repeat(128),
    });
    for (const checksum of ['""', '12', 'null'])
      expect(parseGateBody(`{"name":"a","namespace":"b","checksum":${checksum}}`)).toEqual({
        name: 'a',
        namespace: 'b',
      });
  });

  describe('an approval and a new revision, in every order', () => {
    // Revision one waits, is asked about, approved and promoted; revision two starts 10 min later.
    const first = async () => {
      const { deps, gate } = await setup();
      expect((await gate('check', 'gate', { checksum: '77aa88bb99' })).statusCode).toBe(403);
      await gate('open');
      expect((await gate('check', 'gate', { checksum: '77aa88bb99' })).statusCode).toBe(200);
      for (const e of frontend.slice(3)) await storyOf(deps.stories, e, eventIdentity(e));
      const next = async () => {
        for (const e of frontend.slice(1, 3).map((x) => later(x, 600_000, 'ffffffff99')))
          await storyOf(deps.stories, e, eventIdentity(e));
      };
      return { deps, gate, next };
    };
    const asks = (gate: Awaited<ReturnType<typeof setup>>['gate'], checksum = 'ffffffff99') =>
      gate('check', 'gate', { checksum }).then((r) => r.statusCode);

    it('approved before Flagger’s first check of the new revision: that check is approved', async () => {
      const { gate, next } = await first();
      await next();
      expect(await gate('open')).toEqual({ statusCode: 202, body: 'Gate opened' });
      expect(await asks(gate)).toBe(200);
    });

    it('approved between the new revision’s checks: the next check is approved', async () => {
      const { gate, next } = await first();
      await next();
      expect(await asks(gate)).toBe(403);
      await gate('open');
      expect(await asks(gate)).toBe(200);
    });

    it('approved for one revision, then the next starts: closed, and opening again opens it', async () => {
      const { deps, gate, next } = await first();
      await next();
      await gate('open');
      expect(await asks(gate)).toBe(200);
      for (const e of frontend.slice(1, 3).map((x) => later(x, 1_200_000, 'cccccccc33')))
        await storyOf(deps.stories, e, eventIdentity(e));
      expect(await asks(gate, 'cccccccc33')).toBe(403);
      expect(await gate('open')).toEqual({ statusCode: 202, body: 'Gate opened' });
      expect(await asks(gate, 'cccccccc33')).toBe(200);
    });

    it('opening a gate open for another revision binds it to the one Flagger now asks about', async () => {
      const { gate } = await setup();
      expect(await asks(gate, 'aaaaaaaa11')).toBe(403);
      await gate('open');
      // The same rollout, a new revision asked about (its events have not arrived yet).
      expect(await asks(gate, 'bbbbbbbb22')).toBe(403);
      expect(await gate('open')).toEqual({ statusCode: 202, body: 'Gate opened' });
      expect(await asks(gate, 'bbbbbbbb22')).toBe(200);
      expect(await asks(gate, 'aaaaaaaa11')).toBe(403);
    });
  });
});
