/**
 * Spaces POSTs to one webhook (Slack allows about 1 message/s, Teams Workflows about 2/s sustained)
 * and remembers a Retry-After so no request goes out before it has elapsed. Lives as long as the
 * warm Lambda instance, so it spans invocations.
 */
export function createPacer(minIntervalMs: number, now = () => Date.now()) {
  let nextSlot = 0;
  let blockedUntil = 0;
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
      if (start > t) await new Promise((r) => setTimeout(r, start - t));
    },
  };
}
export type Pacer = ReturnType<typeof createPacer>;
