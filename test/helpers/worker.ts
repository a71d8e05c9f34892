import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createSqsClient } from '../../lib/aws/queue';
import type { Destination, WorkerConfig } from '../../lib/config/config';
import { createWorker } from '../../lib/delivery/worker';
import type { Provider } from '../../lib/providers/provider';

/** A Lambda context with a minute left: enough for any test batch. */
export const lambdaContext = {
  functionName: 'worker',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

// Tests that make no SQS calls of their own still need a client; this one points nowhere.
const nowhere = createSqsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1' });

/** A provider's worker with one destination and the settings tests share (no pacing, short retries). */
export function workerFor(
  provider: Provider,
  destination: Destination,
  over: Partial<WorkerConfig> & { client?: SQSClient } = {},
) {
  const { client = nowhere, ...rest } = over;
  const config: WorkerConfig = {
    destinations: { [destination.name]: destination },
    timeoutMs: 1000,
    queueUrl: 'http://127.0.0.1:1/q',
    dlqUrl: 'http://127.0.0.1:1/d',
    retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 5, windowSeconds: 7200 },
    minIntervalMs: 0,
    sqs: { region: 'us-east-1' },
    ...rest,
  };
  return createWorker(provider, config, client);
}
