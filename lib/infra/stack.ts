import type { Env } from '../config/env';
import { dlqEnv, type Provider, queueEnv } from '../providers/provider';
import { assumeLambda, getAtt, type Json, logsArn, providerSettings, ssmArn } from './settings';
import { statusStack } from './status';

/**
 * Delivery arithmetic (README "Delivery guarantees"): a batch of 10 paced 2 s apart plus 10 s per
 * attempt fits 60 s; the visibility timeout is 6 × the function timeout (AWS guidance); 24
 * receives = 23 backoffs (2 s base, 15 min cap, full jitter) ≈ 1 h 54 min on average.
 */
export const TUNING = {
  workerTimeout: 60,
  visibilityTimeout: 360,
  maxReceiveCount: 24,
  batchSize: 10,
  // Two concurrent batches per provider: with each worker's pacing, the platform sees at most
  // 2 / minIntervalMs calls a second.
  maximumConcurrency: 2,
  dlqRetentionSeconds: 1_209_600, // 14 days
  // Alarm when the oldest message in a main queue is older than this (deliveries are stuck).
  oldestMessageAlarmSeconds: 900,
} as const;

/** `googlechat` → `Googlechat`, `slack-app` → `SlackApp`: CloudFormation logical id prefixes. */
export const logicalPrefix = (id: string): string =>
  id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

export const queueName = (service: string, stage: string, id: string) => `${service}-${stage}-${id}.fifo`;
export const dlqName = (service: string, stage: string, id: string) => `${service}-${stage}-${id}-dlq.fifo`;

export interface StackInput {
  service: string;
  stage: string;
  providers: readonly Provider[];
  /** The deployer's environment: options to pass on, parameter name overrides, local secrets. */
  env: Env;
  /** SSM parameter holding the routing file ('' locally). */
  configParam: string;
  /** Local stage only: the embedded SQS emulator's port. */
  sqsPort?: string;
}

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

  for (const p of input.providers) {
    const L = logicalPrefix(p.id);
    const [queue, dlq] = [`${L}Queue`, `${L}DLQ`];
    const queueUrl = local ? `${localQueues}/${queueName(service, stage, p.id)}` : { Ref: queue };
    const dlqUrl = local ? `${localQueues}/${dlqName(service, stage, p.id)}` : { Ref: dlq };
    ingestEnv[queueEnv(p.id)] = queueUrl;

    const { environment: settings, params } = providerSettings(p, input);
    const environment: Record<string, unknown> = { PROVIDER: p.id, ...settings };
    Object.assign(environment, {
      [queueEnv(p.id)]: queueUrl,
      [dlqEnv(p.id)]: dlqUrl,
      MAX_RECEIVE_COUNT: TUNING.maxReceiveCount,
    });
    functions[p.id] = {
      handler: 'functions/worker.handler',
      timeout: TUNING.workerTimeout,
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
        VisibilityTimeout: TUNING.visibilityTimeout,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlq, 'Arn'), maxReceiveCount: TUNING.maxReceiveCount },
      },
    };
    resources[dlq] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: dlqName(service, stage, p.id),
        FifoQueue: true,
        MessageRetentionPeriod: TUNING.dlqRetentionSeconds,
        SqsManagedSseEnabled: true,
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
                { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: getAtt(dlq, 'Arn') },
                {
                  Effect: 'Allow',
                  Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
                  Resource: getAtt('StateTable', 'Arn'),
                },
                {
                  Effect: 'Allow',
                  Action: 'ssm:GetParameter',
                  Resource: [...params, input.configParam].map(ssmArn),
                },
              ],
            },
          },
        ],
      },
    };
    const alarm = (description: string, metric: string, queueId: string, threshold: number) => ({
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
    resources[`${L}DeadLettersAlarm`] = alarm(
      `${p.title} notifications are in the dead-letter queue (see \`npx flagger-notify dlq list ${p.id}\`)`,
      'ApproximateNumberOfMessagesVisible',
      dlq,
      0,
    );
    resources[`${L}StuckAlarm`] = alarm(
      `${p.title} notifications have waited over ${TUNING.oldestMessageAlarmSeconds} s (destination down or rejecting)`,
      'ApproximateAgeOfOldestMessage',
      queue,
      TUNING.oldestMessageAlarmSeconds,
    );
  }
  if (input.providers.length) {
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
