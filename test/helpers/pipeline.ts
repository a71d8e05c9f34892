import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, expect } from 'vitest';
import { startReceiver } from './receiver';
import { startSlackApi } from './slack-api';

const root = resolve(import.meta.dirname, '../..');

/** `npm start`'s command, on free ports, with loopback receivers as Slack and Teams. */
export async function startPipeline(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      SQS_PORT: '0',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Short delays keep the test fast; pacing and backoff themselves are tested in worker.test.ts.
      MIN_INTERVAL_MS: '20',
      // Every event, not milestones, unless a test says otherwise: these count each one through.
      EVENTS: 'all',
      RETRY_BASE_SECONDS: '1',
      RETRY_CAP_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((ok, fail) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = output.match(/ingest +(http:\/\/127\.0\.0\.1:\d+\/events)/);
      if (m?.[1]) ok(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`pipeline exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

export async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Flagger's POST of one event. */
export const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
/** Flagger's POSTs, one after another, each accepted. */
export async function postAll(url: string, bodies: readonly string[]) {
  for (const b of bodies) expect((await post(url, b)).status).toBe(202);
}

// Receivers and pipelines a test starts are stopped after it, pass or fail (registered in each
// test file that imports this module).
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
export async function receiver(...args: Parameters<typeof startReceiver>) {
  const rx = await startReceiver(...args);
  cleanups.push(() => rx.close());
  return rx;
}
export async function slackApiOf() {
  const api = await startSlackApi();
  cleanups.push(() => api.close());
  return api;
}
export async function pipeline(env: Record<string, string>) {
  const p = await startPipeline(env);
  cleanups.push(() => stop(p.child));
  return p;
}
