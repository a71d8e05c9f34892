/**
 * A stand-in for Flagger running one canary with a confirm-promotion gate and a rollback hook,
 * for `npm run demo` and the tests: it POSTs the events Flagger would, and on every interval asks
 * `/gate/check` and `/rollback/check` as Flagger asks its webhooks, until one of them answers 200
 * (any status up to 202 is success to Flagger) or `waitMs` passes.
 */
export async function flaggerWaitingForApproval(
  base: string,
  o: {
    namespace?: string;
    name?: string;
    token?: string;
    intervalMs?: number;
    waitMs?: number;
    /** Called once the canary waits, with the revision Flagger's checks carry. */
    onWaiting?: (checksum: string) => void;
  } = {},
): Promise<'promoted' | 'rolled back' | 'still waiting'> {
  const namespace = o.namespace ?? 'demo';
  const name = o.name ?? 'shipping';
  const canary = `${name}.${namespace}`;
  const checksum = `${Date.now().toString(16)}`;
  const q = o.token ? `?token=${encodeURIComponent(o.token)}` : '';
  const event = async (phase: string, eventMessage: string, eventType = 'Normal') => {
    const res = await fetch(`${base}/events${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name,
        namespace,
        phase,
        checksum,
        metadata: { eventMessage, eventType, timestamp: String(Date.now()) },
      }),
    });
    if (res.status !== 202) throw new Error(`POST /events answered ${res.status}: ${await res.text()}`);
  };
  // What Flagger POSTs to a gate webhook: the canary, its phase and checksum, the hook's metadata.
  const hook = async (path: string) =>
    (
      await fetch(`${base}${path}${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, namespace, phase: 'WaitingPromotion', checksum, metadata: {} }),
      })
    ).status <= 202;
  const pause = () => new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));

  await event('Progressing', `New revision detected! Scaling up ${canary}`);
  await pause();
  await event('Progressing', `Starting canary analysis for ${canary}`);
  for (const weight of [25, 50]) {
    await pause();
    await event('Progressing', `Advance ${canary} canary weight ${weight}`);
  }
  const until = Date.now() + (o.waitMs ?? 300_000);
  let told = false;
  while (Date.now() < until) {
    await pause();
    if (await hook('/rollback/check')) {
      await event('Progressing', `Rolling back ${canary} manual rollback`, 'Warning');
      await event('Failed', `Canary failed! Scaling down ${canary}`, 'Warning');
      return 'rolled back';
    }
    if (await hook('/gate/check')) {
      await event('Promoting', 'Confirm-promotion check promotion-gate passed');
      await pause();
      await event('Promoting', `Copying ${canary} template spec to ${name}-primary.${namespace}`);
      await pause();
      await event('Finalising', 'Routing all traffic to primary');
      await event('Succeeded', `Promotion completed! Scaling down ${canary}`);
      return 'promoted';
    }
    // Flagger says so on every interval it waits.
    await event(
      'WaitingPromotion',
      `Halt ${canary} advancement waiting for promotion approval promotion-gate`,
    );
    if (!told) o.onWaiting?.(checksum);
    told = true;
  }
  return 'still waiting';
}
