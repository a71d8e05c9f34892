import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Channel } from './channels/channel';
import type { WorkerConfig } from './config';
import { canaryId } from './event';
import { logger } from './log';
import { parseQueuedBody } from './queue';

/** Format and deliver one queued event; throws (typed) when it was not delivered. */
export async function deliverRecord(
  channel: Channel,
  config: WorkerConfig,
  record: SQSRecord,
): Promise<void> {
  const { event } = parseQueuedBody(record.body);
  const started = performance.now();
  const { status } = await channel.deliver(config.webhookUrl, channel.format(event), {
    timeoutMs: config.timeoutMs,
  });
  logger.info('delivered', {
    channel: channel.id,
    canary: canaryId(event),
    messageId: record.messageId,
    status,
    attempt: Number(record.attributes.ApproximateReceiveCount),
    ms: Math.round(performance.now() - started),
  });
}

/**
 * SQS FIFO batch handler: a failed record and every later record of its canary are reported as
 * batchItemFailures (order kept), other canaries' records still go out.
 */
export function createWorker(channel: Channel, config: WorkerConfig) {
  const processor = new SqsFifoPartialProcessorAsync();
  const handle = async (record: SQSRecord) => {
    try {
      await deliverRecord(channel, config, record);
    } catch (err) {
      logger.warn('delivery failed', {
        channel: channel.id,
        messageId: record.messageId,
        group: record.attributes.MessageGroupId,
        attempt: Number(record.attributes.ApproximateReceiveCount),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      throw err;
    }
  };
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    return processPartialResponse(event, handle, processor, {
      context,
      skipGroupOnError: true,
      // A fully failed batch is reported item by item rather than thrown: same redelivery, clearer logs.
      throwOnFullBatchFailure: false,
    });
  };
}
