import type { Kind } from './classify';

/**
 * Flagger's `flagger_canary_status` values (0 progressing, 1 any other phase, 2 failed), for the
 * events that change it: a rollout starts, ends, fails, or the canary is initialized or deleted.
 * Other events leave it as it was, so they are not sent: a CloudWatch metric costs by the hour it
 * has data, and an idle fleet should cost nothing.
 */
export function canaryStatus(kind: Kind): 0 | 1 | 2 | undefined {
  switch (kind) {
    case 'started':
      return 0;
    case 'failed':
    case 'rolled-back':
      return 2;
    case 'succeeded':
    case 'initialized':
    case 'terminated':
      return 1;
    default:
      return undefined;
  }
}
