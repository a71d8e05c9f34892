import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';

// Level from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (Powertools reads both); JSON lines, one per decision.
const root = new Logger({ serviceName: 'flagger-notify' });
const current = new AsyncLocalStorage<Logger>();

/**
 * The logger of the invocation in progress. In Lambda one invocation runs at a time; `npm start`
 * runs ingest and every worker in one process, where a shared logger's Lambda context and
 * correlation id would leak between concurrent invocations. Each invocation therefore logs
 * through its own child (`withOwnLogger`), found here by async context.
 */
export const logger: Logger = new Proxy(root, {
  get(target, prop) {
    const l = current.getStore() ?? target;
    const v = Reflect.get(l, prop, l);
    return typeof v === 'function' ? v.bind(l) : v;
  },
});

// Children not in use. A child costs ~40 µs to build (a Console and its options), which is most
// of ingest's own time per request; Lambda runs one invocation at a time, so there a single child
// is built once and reused, while npm start grows one per concurrent invocation.
const idle: Logger[] = [];

/**
 * Runs one invocation with a logger of its own (its context and keys stay its own). Each handler
 * sets its Lambda context first thing, which replaces the previous user's.
 */
export async function withOwnLogger<T>(fn: () => Promise<T>): Promise<T> {
  const own = idle.pop() ?? root.createChild();
  try {
    return await current.run(own, fn);
  } finally {
    own.resetKeys();
    idle.push(own);
  }
}
