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

/** Every dead letter in the queue, each hidden for `hideSeconds` while it is held. */
async function receiveAll(sqs: SQSClient, dlqUrl: string, hideSeconds: number): Promise<Message[]> {
  const seen: Message[] = [];
  for (;;) {
    const batch = await receive(sqs, dlqUrl, hideSeconds);
    if (!batch.length) return seen;
    seen.push(...batch);
  }
}

/** Where a dead letter belongs: its original message group, and its place in it. */
const origin = (m: Message) => ({
  group: m.MessageAttributes?.group?.StringValue ?? m.Attributes?.MessageGroupId ?? 'redriven',
  at: Number(m.MessageAttributes?.sentAt?.StringValue ?? m.Attributes?.SentTimestamp ?? 0),
});

/** Per canary, oldest first: the order a redrive restores. */
const inOrder = (ms: Message[]) =>
  [...ms].sort((a, b) => {
    const [x, y] = [origin(a), origin(b)];
    return x.group === y.group ? x.at - y.at : x.group < y.group ? -1 : 1;
  });

/**
 * Every dead letter, and how many the queue holds. Each dead letter has a message group of its
 * own, so all can be read at once (dead letters SQS moved itself, after a crash, keep their group:
 * only the head of each shows, and `total` says how many more there are).
 */
export async function listDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
): Promise<{ total: number; shown: DeadLetter[] }> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const seen = await receiveAll(sqs, dlqUrl, 30);
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
    total: Math.max(seen.length, Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0)),
    shown: inOrder(seen).map(describeDeadLetter),
  };
}

/**
 * Moves every dead letter back to the main queue into its original message group, oldest first
 * per canary, each sent before it is deleted. The dedup id is derived from the dead letter, so
 * re-running after an interruption within 5 minutes does not send any twice.
 */
export async function redrive(sqs: SQSClient, dlqUrl: string, queueUrl: string): Promise<DeadLetter[]> {
  const moved: DeadLetter[] = [];
  for (;;) {
    const batch = await receiveAll(sqs, dlqUrl, 120);
    if (!batch.length) return moved;
    for (const m of inOrder(batch)) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: m.Body ?? '',
          MessageGroupId: origin(m).group,
          MessageDeduplicationId: `rd-${m.MessageId}`,
          ...(m.MessageAttributes?.correlationId
            ? { MessageAttributes: { correlationId: m.MessageAttributes.correlationId } }
            : {}),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
      moved.push(describeDeadLetter(m));
    }
  }
}
