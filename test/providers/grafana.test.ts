// Grafana annotations: one region per rollout, created at its start and moved to its end with an
// outcome tag; a create whose answer was lost is found by its tag, never drawn twice.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { envDestination } from '../../lib/providers/destination';
import { grafana } from '../../lib/providers/grafana';
import { memoryRolloutStore } from '../../lib/rollouts/memory-store';
import { fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { type Behaviour, type Receiver, startReceiver } from '../helpers/receiver';

const TOKEN = 'glsa_SECRET_service_account_token_0123';
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

interface Region {
  id: number;
  time: number;
  timeEnd: number;
  tags: string[];
  text: string;
}

/** Grafana's annotations API in memory; `misbehave(n)` may answer request n differently. */
function fakeGrafana(
  misbehave: (n: number, method: string) => 'reset-after-create' | number | undefined = () => undefined,
) {
  const regions = new Map<number, Region>();
  let next = 1;
  const behave: Behaviour = (req, res, n) => {
    const method =
      req.headers['x-method'] ?? (req.body ? (req.path.match(/\/\d+$/) ? 'PATCH' : 'POST') : 'GET');
    const odd = misbehave(n, String(method));
    if (typeof odd === 'number') {
      res.writeHead(odd, { 'content-type': 'application/json' }).end('{"message":"no"}');
      return;
    }
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const id = Number(req.path.match(/\/(\d+)$/)?.[1]);
    if (method === 'POST') {
      const r = { ...(req.json as Region), id: next++ };
      regions.set(r.id, r);
      if (odd === 'reset-after-create') return res.socket?.resetAndDestroy();
      return json(200, { id: r.id, message: 'Annotation added' });
    }
    if (method === 'PATCH') {
      const r = regions.get(id);
      if (!r) return json(404, { message: 'Could not find annotation to update' });
      regions.set(id, { ...r, ...(req.json as Region) });
      return json(200, { message: 'Annotation patched' });
    }
    const tag = new URL(req.path, 'http://x').searchParams.get('tags');
    return json(
      200,
      [...regions.values()].filter((r) => r.tags.includes(tag ?? '')),
    );
  };
  return { behave, regions };
}

function destination(url: string) {
  const sender = grafana.create(envDestination(grafana, { GRAFANA_URL: url, GRAFANA_TOKEN: TOKEN }), {
    deployed: false,
    extraAllowedHosts: [],
    store: memoryRolloutStore(),
  });
  return (e: FlaggerEvent) =>
    sender.send(e, { timeoutMs: 2000, messageId: 'm', eventId: eventIdentity(e), moreInGroup: false });
}
const checkout = fixtures.filter((e) => e.name === 'checkout');

describe('Grafana annotations', () => {
  it('draws one region per rollout, from its start to its end, tagged with its outcome', async () => {
    const g = fakeGrafana();
    rx = await startReceiver(g.behave);
    const send = destination(rx.url(''));
    for (const e of checkout) await send(e);
    expect(g.regions.size).toBe(1);
    const r = [...g.regions.values()][0] as Region;
    expect(r.time).toBe(Number(checkout[0]?.metadata.timestamp));
    // It ended when Flagger rolled it back.
    const rolledBack = checkout.find((e) => e.metadata.eventMessage.startsWith('Rolling back'));
    expect(r.timeEnd).toBe(Number(rolledBack?.metadata.timestamp));
    expect(r.tags.slice(0, 4)).toEqual(['flagger', 'shop', 'checkout', 'failed']);
    expect(r.text).toContain('checkout.shop · Failed');
    expect(rx.received.every((x) => x.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(rx.received.filter((x) => !/\/\d+$/.test(x.path)).map((x) => x.path)).toEqual([
      '/api/annotations',
    ]);
  });

  it('recovers a create whose answer was lost without drawing a second region', async () => {
    const g = fakeGrafana((n) => (n === 1 ? 'reset-after-create' : undefined));
    rx = await startReceiver(g.behave);
    const send = destination(rx.url(''));
    expect(await send(checkout[0] as FlaggerEvent).catch((e: Error) => e)).toBeInstanceOf(
      RetryableDeliveryError,
    );
    // The redelivery looks for its region by the rollout's tag before creating one.
    await send(checkout[0] as FlaggerEvent);
    for (const e of checkout.slice(1)) await send(e);
    expect(g.regions.size).toBe(1);
    expect([...g.regions.values()][0]?.tags).toContain('failed');
  });

  it('starts a new region when its region was deleted on the dashboard (404)', async () => {
    const g = fakeGrafana();
    rx = await startReceiver(g.behave);
    const send = destination(rx.url(''));
    await send(checkout[0] as FlaggerEvent);
    g.regions.clear();
    await send(checkout[1] as FlaggerEvent);
    expect(g.regions.size).toBe(1);
  });

  it('dead-letters a 401 at once, never quoting the token; retries a 429', async () => {
    rx = await startReceiver(fakeGrafana(() => 401).behave);
    const err = await destination(rx.url(''))(checkout[0] as FlaggerEvent).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).not.toContain(TOKEN);
    await rx.close();
    rx = await startReceiver(fakeGrafana(() => 429).behave);
    expect(await destination(rx.url(''))(checkout[0] as FlaggerEvent).catch((e: Error) => e)).toBeInstanceOf(
      RetryableDeliveryError,
    );
  });

  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'previews the golden region for %s',
    (name, e) => {
      expectGolden(`grafana/${name}`, grafana.preview(e));
    },
  );
});
