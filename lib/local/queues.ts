import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalQueueDef } from './serverless-config';

export interface CreatedQueue {
  name: string;
  url: string;
  arn: string;
}

/**
 * Creates the queues as serverless.yml declares them, dead-letter queues first so the redrive
 * policies can name their ARNs. `visibilityTimeout` overrides the declared one (tests shorten it).
 */
export async function createQueues(
  sqs: SQSClient,
  defs: LocalQueueDef[],
  overrides: { visibilityTimeout?: number; maxReceiveCount?: number } = {},
): Promise<Map<string, CreatedQueue>> {
  const created = new Map<string, CreatedQueue>();
  const ordered = [...defs].sort((a, b) => Number(Boolean(a.redrive)) - Number(Boolean(b.redrive)));
  for (const def of ordered) {
    const attributes = { ...def.attributes };
    if (overrides.visibilityTimeout !== undefined && attributes.VisibilityTimeout) {
      attributes.VisibilityTimeout = String(overrides.visibilityTimeout);
    }
    if (def.redrive) {
      const dlq = created.get(def.redrive.dlq);
      if (!dlq)
        throw new Error(`serverless.yml: ${def.logicalId} redrives to unknown queue ${def.redrive.dlq}`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: overrides.maxReceiveCount ?? def.redrive.maxReceiveCount,
      });
    }
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: def.name, Attributes: attributes }),
    );
    if (!QueueUrl) throw new Error(`SQS did not return a URL for ${def.name}`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    created.set(def.logicalId, { name: def.name, url: QueueUrl, arn: Attributes?.QueueArn ?? '' });
  }
  return created;
}
