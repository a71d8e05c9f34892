import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface DeadLetter {
  messageId: string;
  canary: string;
  phase: string;
  eventMessage: string;
  reason: string;
  status?: string;
  attempts?: string;
  firstFailedAt?: string;
}

// Records that SQS itself moved after maxReceiveCount carry none of the worker's attributes.
const REDRIVEN_BY_SQS = 'moved by SQS after maxReceiveCount receives (worker crashed or timed out each time)';

export function describeDeadLetter(m: Message): DeadLetter {
  const a = (k: string) => m.MessageAttributes?.[k]?.StringValue;
  let canary = '?';
  let phase = '?';
  let eventMessage = '(not a flagger-notify message)';
  try {
    const { event } = JSON.parse(m.Body ?? '');
    canary = `${event.name}.${event.namespace}`;
    phase = event.phase || '""';
    eventMessage = event.metadata.eventMessage;
  } catch {}
  return {
    messageId: m.MessageId ?? '',
    canary,
    phase,
    eventMessage,
    reason: a('reason') ?? REDRIVEN_BY_SQS,
    status: a('status'),
    attempts: a('attempts') ?? m.Attributes?.ApproximateReceiveCount,
    firstFailedAt: a('firstFailedAt'),
  };
}

async function receive(sqs: SQSClient, url: string, visibility: number): Promise<Message[]> {
  const r = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibility,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return r.Messages ?? [];
}

/**
 * Dead letters that can be read now, and how many the queue holds. FIFO hides the later messages of
 * a canary while its first is being read, so `shown` can be less than `total`; redrive moves all.
 */
export async function listDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
): Promise<{ total: number; shown: DeadLetter[] }> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const seen: Message[] = [];
  for (;;) {
    const batch = await receive(sqs, dlqUrl, 30);
    if (!batch.length) break;
    seen.push(...batch);
  }
  // Make them visible again at once: listing must not hide them from a redrive that follows.
  for (let i = 0; i < seen.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlqUrl,
        Entries: seen
          .slice(i, i + 10)
          .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
  return {
    total: Number(attrs.Attributes?.ApproximateNumberOfMessages ?? seen.length),
    shown: seen.map(describeDeadLetter),
  };
}

/**
 * Moves every dead letter back to the main queue, oldest first per canary, each sent before it is
 * deleted. The dedup id is derived from the dead letter, so re-running after an interruption
 * within 5 minutes does not send any twice.
 */
export async function redrive(sqs: SQSClient, dlqUrl: string, queueUrl: string): Promise<DeadLetter[]> {
  const moved: DeadLetter[] = [];
  for (;;) {
    const batch = await receive(sqs, dlqUrl, 60);
    if (!batch.length) return moved;
    for (const m of batch) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: m.Body ?? '',
          MessageGroupId: m.Attributes?.MessageGroupId ?? 'redriven',
          MessageDeduplicationId: `rd-${m.MessageId}`,
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
      moved.push(describeDeadLetter(m));
    }
  }
}
