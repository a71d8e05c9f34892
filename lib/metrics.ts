import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

// CloudWatch EMF: each metric is one log line CloudWatch turns into a metric, no API calls.
// POWERTOOLS_METRICS_DISABLED=true (tests, npm start) keeps them out of the output.
export const metrics = new Metrics({ namespace: 'FlaggerNotify', serviceName: 'flagger-notify' });

export type MetricName =
  | 'EventsReceived'
  | 'EventsRejected'
  | 'MessagesDelivered'
  | 'DeliveryRetried'
  | 'DeadLettered'
  | 'DeliveryLatency'
  | 'EndToEndLatency';

/** One data point, published at once with its own dimensions (a handful per event: cheap enough). */
export function record(name: MetricName, dimensions: Record<string, string> = {}, value = 1): void {
  const unit = name.endsWith('Latency') ? MetricUnit.Milliseconds : MetricUnit.Count;
  const m = metrics.singleMetric();
  for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
  m.addMetric(name, unit, value);
}
