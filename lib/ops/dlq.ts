import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { REDRIVEN_AT } from '../aws/queue';

export interface DeadLetter {
  messageId: string;
  /** Whose queue it came from; undefined when neither the worker nor SQS recorded it. */
  provider?: string;
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

/** Which provider a main queue (by ARN) belongs to: the CLI knows the deploy's queue names. */
export type ProviderOfQueue = (queueArn: string) => string | undefined;

export function describeDeadLetter(m: Message, ofQueue?: ProviderOfQueue): DeadLetter {
  const a = (k: string) => m.MessageAttributes?.[k]?.StringValue;
  // The worker names the provider; SQS records the source queue of what it moved itself.
  const source = m.Attributes?.DeadLetterQueueSourceArn;
  const provider = a('provider') ?? (source ? ofQueue?.(source) : undefined);
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
    ...(provider ? { provider } : {}),
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

/** Makes held dead letters visible again at once, so a listing never hides them from a redrive. */
async function release(sqs: SQSClient, dlqUrl: string, held: Message[]): Promise<void> {
  for (let i = 0; i < held.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlqUrl,
        Entries: held
          .slice(i, i + 10)
          .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

export interface Selection {
  /** Only this provider's dead letters; every one when undefined. */
  provider?: string;
  ofQueue?: ProviderOfQueue;
}

/**
 * The dead letters (of one provider, or all), and how many there are. Each dead letter has a
 * message group of its own, so all can be read at once (dead letters SQS moved itself, after a
 * crash, keep their group: only the head of each shows, and an unfiltered `total` says how many
 * more there are).
 */
export async function listDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  select: Selection = {},
): Promise<{ total: number; shown: DeadLetter[] }> {
  // The queue's count covers every provider: asked only when listing them all.
  const attrs = select.provider
    ? undefined
    : await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
  const seen = await receiveAll(sqs, dlqUrl, 30);
  await release(sqs, dlqUrl, seen);
  const shown = inOrder(seen)
    .map((m) => describeDeadLetter(m, select.ofQueue))
    .filter((d) => !select.provider || d.provider === select.provider);
  return {
    total: attrs
      ? Math.max(seen.length, Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0))
      : shown.length,
    shown,
  };
}

/**
 * Moves the dead letters present when it starts (of one provider, or all) back to their
 * provider's main queue into their original message group, oldest first per canary, each sent
 * before it is deleted. The dedup id is derived from the dead letter, so re-running after an
 * interruption within 5 minutes does not send any twice. Each is stamped `redrivenAt`: it gets a
 * whole retry window again, and if it fails again *during* this redrive the worker's new dead
 * letter carries the stamp and is left for the next redrive, never moved (and posted) twice.
 * Dead letters of other providers, and any whose provider is unknown, stay.
 */
export async function redrive(
  sqs: SQSClient,
  dlqUrl: string,
  queueUrlOf: (provider: string) => Promise<string>,
  select: Selection = {},
  now = Date.now(),
): Promise<{ moved: DeadLetter[]; unknown: DeadLetter[] }> {
  const startedAt = now;
  const moved: DeadLetter[] = [];
  const unknown: DeadLetter[] = [];
  const kept: Message[] = [];
  try {
    for (;;) {
      const mine: { m: Message; d: DeadLetter }[] = [];
      for (const m of inOrder(await receiveAll(sqs, dlqUrl, 120))) {
        const d = describeDeadLetter(m, select.ofQueue);
        const back = Number(m.MessageAttributes?.[REDRIVEN_AT]?.StringValue) >= startedAt;
        if (back) kept.push(m);
        else if (d.provider !== undefined && (!select.provider || d.provider === select.provider))
          mine.push({ m, d });
        else {
          kept.push(m);
          if (!d.provider && !select.provider) unknown.push(d);
        }
      }
      if (!mine.length) return { moved, unknown };
      for (const { m, d } of mine) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: await queueUrlOf(d.provider as string),
            MessageBody: m.Body ?? '',
            MessageGroupId: origin(m).group,
            MessageDeduplicationId: `rd-${m.MessageId}`,
            MessageAttributes: {
              [REDRIVEN_AT]: { DataType: 'Number', StringValue: String(startedAt) },
              ...(m.MessageAttributes?.correlationId
                ? { correlationId: m.MessageAttributes.correlationId }
                : {}),
            },
          }),
        );
        await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
        moved.push(d);
      }
    }
  } finally {
    await release(sqs, dlqUrl, kept);
  }
}
