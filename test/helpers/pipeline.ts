import { afterEach, expect } from 'vitest';
import { startPipeline, stop } from './npm-start';
import { startReceiver } from './receiver';
import { startSlackApi } from './slack-api';

export { startPipeline, stop };

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

/** Polls until `done` holds (then true), or `ms` passed (then false): for what a test waits on. */
export async function until(
  done: () => boolean | Promise<boolean>,
  ms = 30_000,
  every = 50,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return done();
}

/** How many of npm start's inbox items (messages, edits, replies) of `provider` contain every one of `parts`. */
export async function inboxCount(base: string, provider: string, ...parts: string[]): Promise<number> {
  const items = (await (await fetch(`${base}/inbox/messages`)).json()) as { provider: string }[];
  return items.filter((x) => x.provider === provider && parts.every((t) => JSON.stringify(x).includes(t)))
    .length;
}
