// The fleet index against dynalite, fed as workers feed it (a story batch per record): one entry
// per canary, moved once per rollout and never per event, its history the earlier rollouts.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { storyBatch } from '../../lib/rollouts/story-log';
import { dynamoFleetStore } from '../../lib/stores/fleet';
import { dynamoStoryStore } from '../../lib/stores/story';
import { countCalls, useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';

const db = useDynamo();

// The sample rollouts, moved to yesterday: the index keeps 30 days.
const RECENT = Date.now() - 24 * 3600_000 - Number(fixtures[0]?.metadata.timestamp);
const rollout = (name: string, later = 0, extra: Record<string, string> = {}): FlaggerEvent[] =>
  fixtures
    .filter((e) => e.name === name)
    .map((e) => ({
      ...e,
      metadata: { ...e.metadata, ...extra, timestamp: String(Number(e.metadata.timestamp) + RECENT + later) },
    }));

/** Each event through its own batch, as Flagger's minutes-apart events reach a worker. */
async function feed(events: FlaggerEvent[], table = db.table) {
  const stories = dynamoStoryStore(table, db.client);
  const fleet = dynamoFleetStore(table, db.client);
  for (const e of events) {
    const batch = storyBatch(stories, fleet);
    await batch.story(e, eventIdentity(e));
    for (const r of await batch.flush()) if (r.status === 'rejected') throw r.reason;
  }
  return fleet;
}

describe('the fleet index', () => {
  it('writes one entry per rollout start, not per event: a 13-event rollout costs one fleet write', async () => {
    const calls = countCalls(db.client);
    const events = rollout('podinfo', 0, { team: 'platform' });
    const puts: string[] = [];
    db.client.middlewareStack.add(
      (next) => (args) => {
        const pk = (args.input as { Item?: { pk?: { S?: string } } }).Item?.pk?.S;
        if (pk) puts.push(pk.split('#')[0] as string);
        return next(args);
      },
      { step: 'initialize', name: 'fleet-test-puts' },
    );
    const fleet = await feed(events);
    db.client.middlewareStack.remove('fleet-test-puts');
    expect(events.length).toBe(13);
    expect(puts.filter((p) => p === 'fleet')).toEqual(['fleet']);
    expect(calls.counts.QueryCommand).toBeUndefined();
    const [row] = (await fleet.list()).filter((r) => r.entry.name === 'podinfo');
    expect(row?.entry).toMatchObject({
      namespace: 'test',
      name: 'podinfo',
      meta: { team: 'platform' },
      history: [],
    });
    expect(row?.story?.rollout.status).toBe('promoted');
  });

  it('the same canary again minutes later: the entry moves to the new rollout, the first joins its history', async () => {
    const first = rollout('checkout');
    const again = rollout('checkout', 30 * 60_000);
    const fleet = await feed([...first, ...again]);
    const row = (await fleet.list()).find((r) => r.entry.name === 'checkout');
    expect(row?.entry.startedAt).toBe(Number(again[0]?.metadata.timestamp));
    expect(row?.entry.history).toEqual([
      expect.objectContaining({ startedAt: Number(first[0]?.metadata.timestamp), status: 'failed' }),
    ]);
    expect(row?.story?.rollout.startedAt).toBe(Number(again[0]?.metadata.timestamp));
  });

  it('keeps no rollout older than 30 days in a history', async () => {
    const old = rollout('checkout', -60 * 24 * 3600_000);
    const fleet = dynamoFleetStore(db.table, db.client);
    await fleet.started({ namespace: 'old', name: 'svc' }, Date.now(), {}, [
      {
        startedAt: Number(old[0]?.metadata.timestamp),
        endedAt: Number(old.at(-1)?.metadata.timestamp),
        status: 'failed',
      },
      { startedAt: Date.now() - 3600_000, endedAt: Date.now() - 1800_000, status: 'promoted' },
    ]);
    const row = (await fleet.list()).find((r) => r.entry.namespace === 'old');
    expect(row?.entry.history.map((h) => h.status)).toEqual(['promoted']);
  });

  it('a resend of the start, byte for byte, or an older start changes nothing', async () => {
    const fleet = dynamoFleetStore(db.table, db.client);
    const before = (await fleet.list()).find((r) => r.entry.name === 'checkout')?.entry;
    const [start] = rollout('checkout', 30 * 60_000);
    await feed([start as FlaggerEvent]);
    await fleet.started({ namespace: 'shop', name: 'checkout' }, 1, {}, []);
    const after = (await fleet.list()).find((r) => r.entry.name === 'checkout')?.entry;
    expect(after).toEqual(before);
  });

  it('two clusters with the same canary name are two entries', async () => {
    await feed([
      ...rollout('podinfo', 0, { cluster: 'prod-eu' }).slice(0, 2),
      ...rollout('podinfo', 0, { cluster: 'prod-us' }).slice(0, 2),
    ]);
    const podinfos = (await dynamoFleetStore(db.table, db.client).list()).filter(
      (r) => r.entry.name === 'podinfo',
    );
    expect(podinfos.map((r) => r.entry.cluster ?? '').sort()).toEqual(['', 'prod-eu', 'prod-us']);
    for (const r of podinfos) expect(r.story?.cluster).toBe(r.entry.cluster);
  });

  it('reads more stories than one batch holds (130 canaries; BatchGetItem takes 100)', async () => {
    const stories = dynamoStoryStore(db.table, db.client);
    const fleet = dynamoFleetStore(db.table, db.client);
    const [start] = rollout('podinfo');
    const batch = storyBatch(stories, fleet);
    for (let i = 0; i < 130; i++) {
      const e = { ...(start as FlaggerEvent), name: `svc-${i}`, namespace: 'many' };
      await batch.story(e, eventIdentity(e));
    }
    for (const r of await batch.flush()) if (r.status === 'rejected') throw r.reason;
    const many = (await fleet.list()).filter((r) => r.entry.namespace === 'many');
    expect(many).toHaveLength(130);
    expect(many.every((r) => r.story?.name === r.entry.name)).toBe(true);
  });
});
