import { afterEach, describe, expect, it } from 'vitest';
import { envDestination } from '../../lib/providers/destination';
import { discord } from '../../lib/providers/discord';
import { dynamoRolloutStore } from '../../lib/stores/rollouts';
import { useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

const db = useDynamo();
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});
type Embed = { title: string; fields: { name: string; value: string }[] };

/** A Discord webhook that keeps its messages: POST ?wait=true creates, PATCH …/messages/{id} edits. */
async function startDiscord() {
  const messages = new Map<string, { embeds?: Embed[]; content?: string; edits: number }>();
  let gone = false;
  const server = await startReceiver((req, res) => {
    const edit = req.path.match(/\/messages\/(\d+)/)?.[1];
    res.setHeader('content-type', 'application/json');
    if (edit) {
      const m = messages.get(edit);
      if (!m || gone) {
        gone = false;
        res.writeHead(404).end('{"message":"Unknown Message","code":10008}');
        return;
      }
      Object.assign(m, req.json as object, { edits: m.edits + 1 });
      res.writeHead(200).end(JSON.stringify({ id: edit }));
      return;
    }
    const id = String(1000 + messages.size);
    messages.set(id, { ...(req.json as object), edits: 0 });
    res.writeHead(200).end(JSON.stringify({ id }));
  });
  return { server, messages, goneOnce: () => (gone = true) };
}

let n = 0;
async function worker(url: string) {
  const store = dynamoRolloutStore(db.table, db.client);
  const name = `dl-${++n}`;
  const def = { ...envDestination(discord, { DISCORD_WEBHOOK_URL: url }), name, events: 'live' as const };
  const sender = discord.create(def, { deployed: false, extraAllowedHosts: [], store });
  const handle = workerFor(discord, { name, sender, events: 'live' }, { store });
  return async (events: typeof fixtures) => {
    for (const e of events) {
      const res = await handle({ Records: [fakeRecord(e, `d${++n}`, name)] }, ctx);
      expect(res.batchItemFailures).toEqual([]);
    }
  };
}

describe('Discord: one live message per rollout, edited in place', () => {
  it('podinfo: one message edited to Promoted; nothing else posted', async () => {
    const d = await startDiscord();
    rx = d.server;
    await (await worker(rx.url('/api/webhooks/1/SECRET')))(fixtures.filter((e) => e.name === 'podinfo'));
    expect([...d.messages.values()]).toHaveLength(1);
    const [m] = d.messages.values();
    expect(m?.embeds?.[0]?.title).toBe('✅ podinfo.test · Promoted');
    expect(m?.edits).toBe(12);
    expect(rx.received[0]?.path).toBe('/api/webhooks/1/SECRET?wait=true');
    expect(rx.received[1]?.path).toBe('/api/webhooks/1/SECRET/messages/1000');
  });

  it('checkout: the failure also gets a message of its own, since an edit notifies nobody', async () => {
    const d = await startDiscord();
    rx = d.server;
    await (await worker(rx.url('/api/webhooks/1/SECRET')))(fixtures.filter((e) => e.name === 'checkout'));
    const all = [...d.messages.values()];
    expect(all).toHaveLength(2);
    expect(all[0]?.embeds?.[0]?.title).toBe('❌ checkout.shop · Failed');
    expect(all[1]?.content).toMatch(/^Rolling back checkout.shop failed checks threshold reached 5/);
  });

  it('posts a new live message when the old one was deleted (404 Unknown Message)', async () => {
    const d = await startDiscord();
    rx = d.server;
    const send = await worker(rx.url('/api/webhooks/1/SECRET'));
    const podinfo = fixtures.filter((e) => e.name === 'podinfo');
    await send(podinfo.slice(0, 3));
    d.goneOnce();
    await send(podinfo.slice(3));
    const all = [...d.messages.values()];
    expect(all).toHaveLength(2);
    expect(all[1]?.embeds?.[0]?.title).toBe('✅ podinfo.test · Promoted');
  });
});

describe('Discord: edits coalesced per batch, paced per call', () => {
  it('a batch of one rollout’s events costs the calls it makes, not a paced slot per event', async () => {
    const d = await startDiscord();
    rx = d.server;
    const store = dynamoRolloutStore(db.table, db.client);
    const name = `dl-batch-${++n}`;
    const def = {
      ...envDestination(discord, { DISCORD_WEBHOOK_URL: rx.url('/api/webhooks/1/x') }),
      name,
      events: 'live' as const,
    };
    const sender = discord.create(def, { deployed: false, extraAllowedHosts: [], store });
    const handle = workerFor(discord, { name, sender, events: 'live' }, { store, minIntervalMs: 300 });
    const podinfo = fixtures.filter((e) => e.name === 'podinfo').slice(0, 8);
    const t0 = Date.now();
    const res = await handle({ Records: podinfo.map((e, i) => fakeRecord(e, `pb${n}-${i}`, name)) }, ctx);
    expect(res.batchItemFailures).toEqual([]);
    const ms = Date.now() - t0;
    // One post (the first event) and one redraw after the last: two calls, so about one 300 ms gap,
    // where a slot per event would have taken 7 × 300 ms.
    expect(rx.received).toHaveLength(2);
    expect(ms).toBeLessThan(1500);
    expect([...d.messages.values()][0]?.edits).toBe(1);
  });
});
