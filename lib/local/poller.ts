import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { toRecord } from '../aws/queue';

export { toRecord };

// Lambda's SQSHandler may resolve to nothing (no failures) or to a batch response.
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface PollerOptions {
  sqs: SQSClient;
  queue: { url: string; arn: string };
  region: string;
  functionName: string;
  /**
   * The function's execution environments: as Lambda's event source runs up to the mapping's
   * `maximumConcurrency` batches at once, one poller loop per environment receives a batch and
   * invokes it; SQS FIFO hands each message group to one of them at a time.
   */
  handler: SqsHandler | readonly SqsHandler[];
  batchSize: number;
  /** The function's timeout (its Lambda context's remaining time at the start). */
  timeoutMs?: number;
  /** Long-poll wait per receive; short in tests so stop() is quick. */
  waitSeconds?: number;
  onError?: (err: unknown) => void;
}

export interface Poller {
  stop(): Promise<void>;
}

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * Which messages to delete after an invocation, with Lambda's ReportBatchItemFailures semantics:
 * a throw, or a failure entry that names no message of the batch, fails the whole batch; otherwise
 * every message not reported is deleted. serverless-offline-sqs deletes everything, which hides
 * exactly the failures this project exists to handle.
 */
export function successfulMessages(
  batch: Message[],
  outcome: { threw: true } | { threw: false; result: SQSBatchResponse | undefined },
): Message[] {
  if (outcome.threw) return [];
  const failures = outcome.result?.batchItemFailures ?? [];
  const ids = new Set(batch.map((m) => m.MessageId));
  if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) return [];
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  return batch.filter((m) => !failed.has(m.MessageId ?? ''));
}

/**
 * Lambda's SQS event source, locally: each environment receives a batch, is invoked, and only what
 * succeeded is deleted; the environments run at the same time, each taking the next batch when it
 * is free, so a slow batch holds back only its own message groups.
 */
export function startPoller(o: PollerOptions): Poller {
  const abort = new AbortController();
  const loop = async (handler: SqsHandler) => {
    while (!abort.signal.aborted) {
      try {
        const { Messages = [] } = await o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queue.url,
            MaxNumberOfMessages: o.batchSize,
            WaitTimeSeconds: o.waitSeconds ?? 2,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        if (!Messages.length) continue;
        const event: SQSEvent = { Records: Messages.map((m) => toRecord(m, o.queue.arn, o.region)) };
        let outcome: Parameters<typeof successfulMessages>[1];
        try {
          const result = await handler(event, lambdaContext(o.functionName, o.timeoutMs ?? 60_000));
          outcome = { threw: false, result: result as SQSBatchResponse | undefined };
        } catch (err) {
          o.onError?.(err);
          outcome = { threw: true };
        }
        const done = successfulMessages(Messages, outcome);
        if (done.length) {
          await o.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: o.queue.url,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        o.onError?.(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const running = Promise.all([o.handler].flat().map(loop));
  return {
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}
