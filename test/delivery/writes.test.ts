// What a delivery costs in DynamoDB calls: one write per queued message (event × destination) in
// every mode, no second read of a record the batch already holds, one story write per canary and
// batch. Counted at the client, against dynalite.
import { describe, expect, it } from 'vitest';
import { deliveredOnce } from '../../lib/delivery/once';
import type { FlaggerEvent } from '../../lib/event/event';
import { envDestination } from '../../lib/providers/destination';
import { discord } from '../../lib/providers/discord';
import { slack } from '../../lib/providers/slack';
import { rememberedInBatch } from '../../lib/rollouts/state';
import { type Story, withResults } from '../../lib/rollouts/story';
import { dynamoRolloutStore } from '../../lib/stores/rollouts';
import { dynamoStoryStore } from '../../lib/stores/story';
import { countCalls, useDynamo } from '../helpers/dynamo';
import { fixtures } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, destination, startReceiver } from '../helpers/receiver';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

const db = useDynamo();
const podinfo = fixtures.filter((e) => e.name === 'podinfo') as FlaggerEvent[];
let n = 0;
/** One record per event, in one batch or one batch each. */
const batches = (events: FlaggerEvent[], name: string, together: boolean) => {
  const records = events.map((e) => fakeRecord(e, `w${++n}`, name));
  return together ? [{ Records: records }] : records.map((r) => ({ Records: [r] }));
};
const renamed = (name: string) => podinfo.map((e) => ({ ...e, name }));

describe('DynamoDB calls per delivery', () => {
  it.each([
    ['one batch per event', false],
    ['the whole rollout in one batch', true],
  ] as const)(
    'milestones, %s: one rollout-state write per event, and one read per batch',
    async (_, together) => {
      const rx = await startReceiver(answer(200, 'ok'));
      const store = rememberedInBatch(dynamoRolloutStore(db.table, db.client));
      const name = `ms-${together}`;
      const handle = workerFor(
        slack,
        { ...destination(slack, rx.url('/s'), name), events: 'milestones' },
        { store },
      );
      const calls = countCalls(db.client);
      const events = renamed(name);
      const all = batches(events, name, together);
      for (const b of all) expect((await handle(b, ctx)).batchItemFailures).toEqual([]);
      expect(rx.received.length).toBeGreaterThan(0);
      expect(calls.counts.PutItemCommand).toBe(events.length);
      expect(calls.counts.GetItemCommand).toBe(all.length);
      await rx.close();
    },
  );

  it('milestones: a send that fails saves the event with its milestone pending, and the retry sends it', async () => {
    let fail = true;
    const rx = await startReceiver((_r, res) => {
      res.writeHead(fail ? 500 : 200).end(fail ? 'rollup_error' : 'ok');
    });
    const store = rememberedInBatch(dynamoRolloutStore(db.table, db.client));
    const name = 'ms-fail';
    const handle = workerFor(
      slack,
      { ...destination(slack, rx.url('/s'), name), events: 'milestones' },
      { store },
    );
    const [start] = renamed(name);
    const record = fakeRecord(start as FlaggerEvent, 'mf1', name);
    expect((await handle({ Records: [record] }, ctx)).batchItemFailures).toHaveLength(1);
    const saved = await store.get(`rollout#${name}#test/${name}`);
    expect(saved?.value.pending?.milestone).toBeDefined();
    fail = false;
    expect((await handle({ Records: [record] }, ctx)).batchItemFailures).toEqual([]);
    expect((await store.get(`rollout#${name}#test/${name}`))?.value.pending).toBeUndefined();
    expect(rx.received).toHaveLength(2); // the failed attempt and the retry
    await rx.close();
  });

  it('live: one write per event, a failure’s own message included', async () => {
    const rx = await startReceiver((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.writeHead(200).end(JSON.stringify({ id: req.path.match(/messages\/(\d+)/)?.[1] ?? '1000' }));
    });
    const store = rememberedInBatch(dynamoRolloutStore(db.table, db.client));
    const name = 'live-writes';
    const def = {
      ...envDestination(discord, { DISCORD_WEBHOOK_URL: rx.url('/api/webhooks/1/x') }),
      name,
      events: 'live' as const,
    };
    const sender = discord.create(def, { deployed: false, extraAllowedHosts: [], store });
    const handle = workerFor(discord, { name, sender, events: 'live' }, { store });
    const calls = countCalls(db.client);
    // checkout fails: its "Canary failed!" gets a message of its own beside the redraw.
    const events = fixtures
      .filter((e) => e.name === 'checkout')
      .map((e) => ({ ...e, name })) as FlaggerEvent[];
    for (const b of batches(events, name, false))
      expect((await handle(b, ctx)).batchItemFailures).toEqual([]);
    const posts = rx.received.filter((r) => !r.path.includes('/messages/')).length;
    expect(posts).toBeGreaterThan(1);
    // Each event's application, its redraw and its one note are one save.
    expect(calls.counts.PutItemCommand).toBe(events.length);
    await rx.close();
  });

  it('events: all, with rollout pages: one once-record write per event and one story write per batch', async () => {
    const rx = await startReceiver(answer(200, 'ok'));
    const name = 'all-pages';
    const handle = workerFor(slack, destination(slack, rx.url('/s'), name), {
      once: deliveredOnce(db.table, db.client),
      stories: dynamoStoryStore(db.table, db.client),
      links: { secret: 'x'.repeat(32), base: 'https://pages.example' },
    });
    const calls = countCalls(db.client);
    const events = renamed(name);
    for (const b of batches(events, name, true)) expect((await handle(b, ctx)).batchItemFailures).toEqual([]);
    expect(rx.received).toHaveLength(events.length);
    // Once-records, the story (its teller's results with it) and one archive where the sample's
    // second rollout begins.
    const stories = dynamoStoryStore(db.table, db.client);
    const story = (await stories.get({ namespace: 'test', name }))?.value as Story;
    expect(story.events.length).toBeGreaterThan(0);
    const archives = events.length - story.events.length > 0 ? 1 : 0;
    expect(calls.counts.PutItemCommand).toBe(events.length + 1 + archives);
    // Every event's result is on its page.
    const page = await withResults(stories, story);
    expect(Object.keys(page.destinations[name]?.results ?? {})).toHaveLength(story.events.length);
    await rx.close();
  });

  it('a copy that does not tell the story writes only a result worth showing, in its provider’s results', async () => {
    const rx = await startReceiver(answer(200, 'ok'));
    const store = rememberedInBatch(dynamoRolloutStore(db.table, db.client));
    const stories = dynamoStoryStore(db.table, db.client);
    const links = { secret: 'x'.repeat(32), base: 'https://pages.example' };
    const worker = (name: string) =>
      workerFor(
        slack,
        { ...destination(slack, rx.url('/s'), name), events: 'milestones' },
        { store, stories, links },
      );
    const name = 'quiet-copy';
    const [first, second] = renamed(name) as [FlaggerEvent, FlaggerEvent];
    const quiet = (e: FlaggerEvent, id: string, dest: string) => {
      const r = fakeRecord(e, id, dest);
      return { ...r, body: JSON.stringify({ ...JSON.parse(r.body), tells: false }) };
    };
    const calls = countCalls(db.client);
    // "New revision detected" is a milestone: the quiet copy's result goes on the story.
    await worker('loud')({ Records: [fakeRecord(first, 'q1', 'loud')] }, ctx);
    await worker('quiet')({ Records: [quiet(first, 'q2', 'quiet')] }, ctx);
    const afterFirst = calls.counts.PutItemCommand;
    // The next event is no milestone: the telling copy writes it, the quiet one writes nothing.
    await worker('loud')({ Records: [fakeRecord(second, 'q3', 'loud')] }, ctx);
    const beforeQuiet = calls.counts.PutItemCommand ?? 0;
    await worker('quiet')({ Records: [quiet(second, 'q4', 'quiet')] }, ctx);
    // Its own rollout record only.
    expect((calls.counts.PutItemCommand ?? 0) - beforeQuiet).toBe(1);
    // Two rollout records, the story (the telling copy's event and result), the quiet copy's
    // result in its provider's results item.
    expect(afterFirst).toBe(4);
    const story = (await stories.get({ namespace: 'test', name }))?.value as Story;
    expect(story.events).toHaveLength(2);
    const page = await withResults(stories, story);
    expect(Object.keys(page.destinations.quiet?.results ?? {})).toHaveLength(1);
    await rx.close();
  });
});
