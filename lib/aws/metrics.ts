import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

// CloudWatch EMF: each metric is a log line CloudWatch turns into a metric, no API calls.
// POWERTOOLS_METRICS_DISABLED=true (tests, npm start) keeps them out of the output.
export const metrics = new Metrics({ namespace: 'FlaggerNotify', serviceName: 'flagger-notify' });

// Same rule Powertools applies; checked once so a disabled metric costs nothing on the hot path.
const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);
const off =
  'POWERTOOLS_METRICS_DISABLED' in process.env
    ? truthy(process.env.POWERTOOLS_METRICS_DISABLED)
    : truthy(process.env.POWERTOOLS_DEV);

export type MetricName =
  | 'EventsReceived'
  | 'EventsRejected'
  | 'MessagesDelivered'
  | 'DeliveryRetried'
  | 'DeadLettered'
  | 'DeliveryLatency'
  | 'EndToEndLatency'
  | 'CanaryStatus';

const unitOf = (name: MetricName) =>
  name.endsWith('Latency')
    ? MetricUnit.Milliseconds
    : name === 'CanaryStatus'
      ? MetricUnit.NoUnit
      : MetricUnit.Count;

/**
 * One data point. With dimensions it is published at once on its own (provider, reason); without, it
 * joins the invocation's batch, written by `flushMetrics()` — the cheap path ingest's 202 takes.
 */
export function record(name: MetricName, dimensions: Record<string, string> = {}, value = 1): void {
  if (off) return;
  if (!Object.keys(dimensions).length) {
    metrics.addMetric(name, unitOf(name), value);
    return;
  }
  const m = metrics.singleMetric();
  for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
  m.addMetric(name, unitOf(name), value);
}

// One per dimension set (a worker has one provider; npm start runs them all in one process).
const withDimensions = new Map<string, Metrics>();

/**
 * Several data points with the same dimensions as one EMF line (a delivery's count and its two
 * latencies): a third of the log bytes, and of the time, of one line per metric.
 */
export function recordAll(dimensions: Record<string, string>, points: [MetricName, number][]): void {
  if (off) return;
  const key = JSON.stringify(dimensions);
  let m = withDimensions.get(key);
  if (!m) {
    m = new Metrics({
      namespace: 'FlaggerNotify',
      serviceName: 'flagger-notify',
      defaultDimensions: dimensions,
    });
    withDimensions.set(key, m);
  }
  for (const [name, value] of points) m.addMetric(name, unitOf(name), value);
  m.publishStoredMetrics();
}

/** Writes the invocation's batch; nothing (and no Powertools warning) when it is empty. */
export function flushMetrics(): void {
  if (!off && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
