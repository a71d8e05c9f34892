// A redrive into a destination that still fails: each dead letter present at the start is moved
// and posted once; what fails again while the redrive runs waits for the next one.
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toRecord } from '../../lib/local/poller';
import { createQueues } from '../../lib/local/queues';
import { localServiceDef } from '../../lib/local/serverless-config';
import { listDeadLetters, redrive } from '../../lib/ops/dlq';
import { teams } from '../../lib/providers/teams';
import { fixtureLines } from '../helpers/fixtures';
import { fakeRecord } from '../helpers/queues';
import { answer, destination, startReceiver } from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';
import { lambdaContext as ctx, workerFor } from '../helpers/worker';

let env: Awaited<ReturnType<typeof startSqs>>;
beforeAll(async () => {
  env = await startSqs();
});
afterAll(async () => env?.close());

it('moves exactly the dead letters there at the start, none posted twice, when they fail again meanwhile', async () => {
  const urls = await createQueues(env.sqs, localServiceDef('serverless.yml').queues);
  const queueUrl = urls.get('TeamsQueue')?.url as string;
  const dlqUrl = urls.get('DeadLetterQueue')?.url as string;
  const rx = await startReceiver(answer(404, 'no_service'));
  try {
    const handle = workerFor(teams, destination(teams, rx.url('/workflows/x')), {
      queueUrl,
      dlqUrl,
      client: env.sqs,
    });
    // Two events refused for good: two dead letters.
    for (const [i, line] of fixtureLines.slice(0, 2).entries()) {
      const r = fakeRecord(JSON.parse(line), `first-${i}`, 'teams');
      expect((await handle({ Records: [r] }, ctx)).batchItemFailures).toEqual([]);
    }
    expect(rx.received).toHaveLength(2);
    expect((await listDeadLetters(env.sqs, dlqUrl)).total).toBe(2);

    // The worker runs while the redrive does: each redriven record fails again at once and is
    // dead-lettered again before the redrive looks at the queue once more.
    const racing = new Proxy(env.sqs, {
      get(target, prop, recv) {
        if (prop !== 'send') return Reflect.get(target, prop, recv);
        return async (cmd: unknown, ...rest: unknown[]) => {
          const out = await (target.send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(cmd, ...rest);
          if (cmd instanceof SendMessageCommand && cmd.input.QueueUrl === queueUrl) {
            const got = await target.send(
              new ReceiveMessageCommand({
                QueueUrl: queueUrl,
                MaxNumberOfMessages: 10,
                MessageSystemAttributeNames: ['All'],
                MessageAttributeNames: ['All'],
              }),
            );
            const records = (got.Messages ?? []).map((m) =>
              toRecord(m, 'arn:aws:sqs:us-east-1:0:q', 'us-east-1'),
            );
            const { batchItemFailures } = await handle({ Records: records }, ctx);
            expect(batchItemFailures).toEqual([]);
            // As Lambda's event source does with what the function handled.
            for (const m of got.Messages ?? [])
              await target.send(
                new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
              );
          }
          return out;
        };
      },
    }) as SQSClient;
    const { moved } = await redrive(racing, dlqUrl, async () => queueUrl, { provider: 'teams' });
    expect(moved).toHaveLength(2);
    // Each event posted once more by the redrive, not twice.
    expect(rx.received).toHaveLength(4);
    const left = await listDeadLetters(env.sqs, dlqUrl);
    expect(left.total).toBe(2);
    // The next redrive moves them again: they were only kept out of the one that sent them.
    expect((await redrive(env.sqs, dlqUrl, async () => queueUrl, { provider: 'teams' })).moved).toHaveLength(
      2,
    );
  } finally {
    await rx.close();
  }
});
