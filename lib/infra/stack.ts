import { DLQ_ENV, type Provider, queueEnv } from '../providers/provider';
import {
  assumeLambda,
  getAtt,
  type Json,
  logsArn,
  providerSettings,
  type StackInput,
  ssmArn,
} from './settings';
import { statusStack } from './status';

export type { StackInput } from './settings';

/**
 * Delivery arithmetic (docs/delivery.md). A record is given up after a 2-hour retry
 * window (the worker decides, by time); SQS's receive count (1,000, its maximum) is only a
 * backstop for workers that crash every time. The function timeout fits a whole batch.
 */
export const TUNING = {
  maxReceiveCount: 1000,
  batchSize: 10,
  /** The worker's DELIVERY_TIMEOUT_MS default, per call. */
  deliveryTimeoutSeconds: 10,
  // Two concurrent batches per provider: with each worker's pacing, the platform sees at most
  // 2 / minIntervalMs calls a second.
  maximumConcurrency: 2,
  dlqRetentionSeconds: 1_209_600, // 14 days
  // Alarm when the oldest message in a main queue is older than this (deliveries are stuck).
  oldestMessageAlarmSeconds: 900,
} as const;

/**
 * Long enough for every record of a full batch to get its attempt: its pacing plus the per-call
 * deadline for each (three calls for a live message: post or update, a reply, a redraw), plus a
 * margin. Slack: 10 × (2 s + 10 s) + 10 = 130 s; the Slack app 10 × (2.5 s + 30 s) + 10 = 335 s.
 */
export function workerTimeout(p: Pick<Provider, 'minIntervalMs' | 'modes'>): number {
  const calls = p.modes[0] === 'live' ? 3 : 1;
  const perRecord = p.minIntervalMs / 1000 + calls * TUNING.deliveryTimeoutSeconds;
  return Math.min(900, Math.ceil(TUNING.batchSize * perRecord + 10));
}

/** `googlechat` → `Googlechat`, `slack-app` → `SlackApp`: CloudFormation logical id prefixes. */
export const logicalPrefix = (id: string): string =>
  id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

export const queueName = (service: string, stage: string, id: string) => `${service}-${stage}-${id}.fifo`;
/**
 * One dead-letter queue for every provider: CloudWatch bills an alarm per metric it watches, so
 * one queue needs one alarm where a queue per provider needed one each. Each dead letter carries
 * its provider (docs/dead-letters.md).
 */
export const dlqName = (service: string, stage: string) => `${service}-${stage}-dlq.fifo`;
const DLQ = 'DeadLetterQueue';

/** A CloudWatch alarm on one SQS metric, to the deploy's alarm topic (AlarmTopic in serverless.yml). */
const queueAlarm = (description: string, metric: string, queueId: string, threshold: number) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmDescription: description,
    Namespace: 'AWS/SQS',
    MetricName: metric,
    Dimensions: [{ Name: 'QueueName', Value: getAtt(queueId, 'QueueName') }],
    Statistic: 'Maximum',
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: 'AlarmTopic' }],
    OKActions: [{ Ref: 'AlarmTopic' }],
  },
});

/**
 * The queues, functions, roles and alarms of the given providers, in serverless.yml's shapes.
 * serverless.yml merges them in (`${file(./infra/providers.cjs):…}`); `npm start` builds its
 * local queues from the same output, so the two cannot drift.
 */
export function providerStack(input: StackInput): { functions: Json; resources: Json } {
  const { service, stage, env } = input;
  const local = stage === 'local';
  const localQueues = `http://sqs.us-east-1.localhost:${input.sqsPort ?? env.SQS_PORT ?? '9324'}/000000000000`;
  const functions: Json = {};
  const resources: Json = {};
  const ingestEnv: Record<string, unknown> = { CHANNELS: input.providers.map((p) => p.id).join(',') };
  const dlqUrl = local ? `${localQueues}/${dlqName(service, stage)}` : { Ref: DLQ };

  for (const p of input.providers) {
    const L = logicalPrefix(p.id);
    const queue = `${L}Queue`;
    const queueUrl = local ? `${localQueues}/${queueName(service, stage, p.id)}` : { Ref: queue };
    ingestEnv[queueEnv(p.id)] = queueUrl;

    const { environment: settings, params } = providerSettings(p, input);
    const environment: Record<string, unknown> = { PROVIDER: p.id, ...settings };
    Object.assign(environment, {
      [queueEnv(p.id)]: queueUrl,
      [DLQ_ENV]: dlqUrl,
      MAX_RECEIVE_COUNT: TUNING.maxReceiveCount,
      // The batch arithmetic assumes the default per-call deadline.
      DELIVERY_TIMEOUT_MS: TUNING.deliveryTimeoutSeconds * 1000,
    });
    functions[p.id] = {
      handler: 'functions/worker.handler',
      timeout: workerTimeout(p),
      role: `${L}Role`,
      environment,
      events: [
        {
          sqs: {
            arn: getAtt(queue, 'Arn'),
            batchSize: TUNING.batchSize,
            maximumConcurrency: TUNING.maximumConcurrency,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    };

    resources[queue] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: queueName(service, stage, p.id),
        FifoQueue: true,
        // 6 × the function timeout (AWS guidance for SQS event sources).
        VisibilityTimeout: 6 * workerTimeout(p),
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt(DLQ, 'Arn'), maxReceiveCount: TUNING.maxReceiveCount },
      },
    };
    // Each worker may do only what it does: read its queue, dead-letter, read its own secrets.
    resources[`${L}Role`] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: assumeLambda,
        Policies: [
          {
            PolicyName: p.id,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: logsArn(`${service}-${stage}-${p.id}`),
                },
                {
                  Effect: 'Allow',
                  Action: [
                    'sqs:ReceiveMessage',
                    'sqs:DeleteMessage',
                    'sqs:GetQueueAttributes',
                    'sqs:ChangeMessageVisibility',
                  ],
                  Resource: getAtt(queue, 'Arn'),
                },
                { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt(DLQ, 'Arn') },
                {
                  Effect: 'Allow',
                  // Rollout records, stories, and the records of completed deliveries: read and
                  // (conditionally) written whole, never updated in place or deleted (TTL expires them).
                  Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
                  Resource: getAtt('StateTable', 'Arn'),
                },
                {
                  Effect: 'Allow',
                  Action: 'ssm:GetParameters',
                  Resource: [...params, input.configParam].map(ssmArn),
                },
              ],
            },
          },
        ],
      },
    };
    resources[`${L}StuckAlarm`] = queueAlarm(
      `${p.title} notifications have waited over ${TUNING.oldestMessageAlarmSeconds} s (destination down or rejecting)`,
      'ApproximateAgeOfOldestMessage',
      queue,
      TUNING.oldestMessageAlarmSeconds,
    );
  }
  if (input.providers.length) {
    resources[DLQ] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: dlqName(service, stage),
        FifoQueue: true,
        MessageRetentionPeriod: TUNING.dlqRetentionSeconds,
        SqsManagedSseEnabled: true,
      },
    };
    resources.DeadLettersAlarm = queueAlarm(
      'Notifications are in the dead-letter queue (see `npx flagger-notify dlq list`)',
      'ApproximateNumberOfMessagesVisible',
      DLQ,
      0,
    );
    // Ingest may send to exactly the queues this deploy has.
    resources.IngestQueuesPolicy = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'ingest-queues',
        Roles: [{ Ref: 'IngestRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: input.providers.map((p) => getAtt(`${logicalPrefix(p.id)}Queue`, 'Arn')),
            },
          ],
        },
      },
    };
  }
  functions.ingest = { environment: ingestEnv };
  const status = statusStack(input);
  return {
    functions: { ...functions, ...status.functions },
    resources: { ...resources, ...status.resources },
  };
}
