/**
 * Paces calls to one destination (Slack allows about 1 message/s per webhook, Teams Workflows
 * about 2/s sustained): one event at a time, each start at least `minIntervalMs` after the last,
 * and nothing before a Retry-After has elapsed. Batches deliver different canaries concurrently
 * (lib/delivery/batch.ts); this keeps that from turning into a burst at one destination, while
 * other destinations go on. Lives as long as the warm Lambda instance, so it spans invocations.
 */
export function createPacer(minIntervalMs: number, now = () => Date.now()) {
  let nextSlot = 0;
  let blockedUntil = 0;
  let last: Promise<void> = Promise.resolve();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    /** Milliseconds left of a Retry-After the webhook gave us; 0 when free to send. */
    blockedMs: () => Math.max(0, blockedUntil - now()),
    block(seconds: number) {
      blockedUntil = Math.max(blockedUntil, now() + seconds * 1000);
    },
    /** Resolves when this send may start, reserving the next slot. */
    async turn(): Promise<void> {
      const t = now();
      const start = Math.max(t, nextSlot);
      nextSlot = start + minIntervalMs;
      if (start > t) await sleep(start - t);
    },
    /**
     * Runs `fn` when the destination is free (the previous event's calls are done): the
     * destination's own events queue here, nobody else's. `fn` takes its turn(s) itself.
     */
    async exclusive<T>(fn: () => Promise<T>): Promise<T> {
      const before = last;
      let done!: () => void;
      last = new Promise<void>((r) => {
        done = r;
      });
      try {
        await before;
        return await fn();
      } finally {
        done();
      }
    },
  };
}
export type Pacer = ReturnType<typeof createPacer>;
