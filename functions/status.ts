import { lambdaHandler } from '../lib/aws/handler';
import { record } from '../lib/aws/metrics';
import { logger } from '../lib/log';
import { digestsNow, runSchedules } from '../lib/ops/schedules';
import { runStatus } from '../lib/ops/status';
import { statusSetup } from '../lib/ops/status-setup';

// EventBridge → every minute: the CanaryStatus gauge for failed canaries, the re-sending of
// firing Alertmanager alerts (lib/ops/status.ts), and the routing file's digests and quiet-hours
// summaries (lib/ops/schedules.ts); `{"digest": "now"}` sends every digest at once
// (`flagger-notify digest --now`).
export const handler = lambdaHandler(statusSetup, async ({ store, senders, scheduled }, event: unknown) => {
  if ((event as { digest?: unknown } | null)?.digest === 'now') {
    return { sent: scheduled ? await digestsNow(scheduled) : [] };
  }
  const result = await runStatus({
    store,
    senders,
    gauge: (canary, value) => record('CanaryStatus', { ...canary }, value),
  });
  const sent = scheduled ? await runSchedules(scheduled) : [];
  // Every minute, deployed: a line only when there is something to say.
  if (result.failedCanaries || result.refreshed || sent.length)
    logger.info('status', { ...result, sent: sent.length });
  return { ...result, sent };
});
