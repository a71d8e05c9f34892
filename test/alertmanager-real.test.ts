import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../lib/event/event';
import { runStatus } from '../lib/ops/status';
import { alertmanager } from '../lib/providers/alertmanager';
import { envDestination } from '../lib/providers/destination';
import type { Sender } from '../lib/providers/provider';
import { dynamoRolloutStore } from '../lib/stores/rollouts';
import { startDynamo } from './helpers/dynamo';
import { fixtures } from './helpers/fixtures';

// Debian's prometheus-alertmanager (0.25), which .ci/run installs. Elsewhere the test is skipped
// with a note, unless REQUIRE_ALERTMANAGER=1 (CI) makes its absence a failure.
const binary = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus-alertmanager'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();
if (!binary && process.env.REQUIRE_ALERTMANAGER === '1')
  throw new Error('prometheus-alertmanager is not installed');
if (!binary) console.log('skipping the real Alertmanager test: apt-get install prometheus-alertmanager');

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

describe.skipIf(!binary)('against a real Alertmanager (0.25, loopback)', () => {
  let am: ChildProcess;
  let base = '';
  let db: Awaited<ReturnType<typeof startDynamo>>;
  beforeAll(async () => {
    db = await startDynamo();
    const dir = mkdtempSync(join(tmpdir(), 'am-'));
    writeFileSync(join(dir, 'am.yml'), 'route:\n  receiver: none\nreceivers:\n  - name: none\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    am = spawn(
      binary,
      [
        `--config.file=${join(dir, 'am.yml')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        `--storage.path=${dir}`,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('Alertmanager did not become ready');
  }, 30_000);
  afterAll(async () => {
    am?.kill();
    await db?.close();
  });

  const active = async () =>
    (
      (await (await fetch(`${base}/api/v2/alerts?active=true`)).json()) as {
        labels: Record<string, string>;
      }[]
    ).filter((a) => a.labels.alertname === 'canary_rollback');

  it('shows canary_rollback active after the failed rollout, kept by the status run, gone once resolved', async () => {
    const store = dynamoRolloutStore(db.table, db.client);
    const def = {
      ...envDestination(alertmanager, { ALERTMANAGER_URL: base }),
      name: 'real-am',
      events: 'live' as const,
    };
    const sender = alertmanager.create(def, { deployed: false, extraAllowedHosts: [], store }) as Sender;
    const checkout = fixtures.filter((e) => e.name === 'checkout');
    let n = 0;
    const send = async (events: FlaggerEvent[]) => {
      for (const e of events)
        await sender.send(e, { timeoutMs: 2000, eventId: `r${++n}`, messageId: `r${n}`, moreInGroup: false });
    };
    await send(checkout);
    const firing = await active();
    expect(firing.map((a) => [a.labels.namespace, a.labels.name, a.labels.severity])).toEqual([
      ['shop', 'checkout', 'warning'],
    ]);
    expect((await runStatus({ store, senders: [sender], gauge: () => {} })).refreshed).toBe(1);
    expect(await active()).toHaveLength(1);
    // The next revision starts: resolved.
    const next = {
      ...(checkout[0] as FlaggerEvent),
      metadata: { ...(checkout[0] as FlaggerEvent).metadata, timestamp: String(Date.now()) },
    };
    await send([next]);
    const deadline = Date.now() + 10_000;
    while ((await active()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await active()).toEqual([]);
  }, 30_000);
});
