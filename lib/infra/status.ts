import type { Provider } from '../providers/provider';
import {
  assumeLambda,
  getAtt,
  type Json,
  logsArn,
  providerSettings,
  type StackInput,
  ssmArn,
} from './settings';

/**
 * The scheduled status function (functions/status.ts), every minute: CanaryStatus for failed
 * canaries, re-sent Alertmanager alerts, digests and quiet-hours summaries. Its role may query
 * the state table's indexes of failures and of the fleet, read the stories, claim a digest's
 * period and take held messages (GetItem/PutItem), and read the parameters of the providers it
 * refreshes or reports to.
 */
export function statusStack(input: StackInput): { functions: Json; resources: Json } {
  const { service, stage } = input;
  const scheduled: Provider[] = input.providers.filter((p) => p.scheduled || p.reports);
  const environment: Record<string, unknown> = { CHANNELS: input.providers.map((p) => p.id).join(',') };
  const params: string[] = [];
  for (const p of scheduled) {
    const s = providerSettings(p, input);
    Object.assign(environment, s.environment);
    params.push(...s.params);
  }
  if (!scheduled.length) Object.assign(environment, providerSettingsless(input));
  return {
    functions: {
      status: {
        handler: 'functions/status.handler',
        timeout: 30,
        role: 'StatusRole',
        environment,
        events: [{ schedule: { rate: ['rate(1 minute)'] } }],
      },
    },
    resources: {
      StatusRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: assumeLambda,
          Policies: [
            {
              PolicyName: 'status',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                    Resource: logsArn(`${service}-${stage}-status`),
                  },
                  {
                    Effect: 'Allow',
                    Action: 'dynamodb:Query',
                    Resource: ['failing', 'fleet'].map((i) => ({
                      'Fn::Join': ['', [getAtt('StateTable', 'Arn'), `/index/${i}`]],
                    })),
                  },
                  {
                    Effect: 'Allow',
                    Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchGetItem'],
                    Resource: getAtt('StateTable', 'Arn'),
                  },
                  {
                    Effect: 'Allow',
                    Action: 'ssm:GetParameters',
                    Resource: [...new Set([...params, input.configParam])].map(ssmArn),
                  },
                ],
              },
            },
          ],
        },
      },
    },
  };
}

/** Without a provider to refresh, the function still keeps the gauge: it needs the table only. */
function providerSettingsless(input: StackInput): Record<string, unknown> {
  return { STATE_TABLE: input.stage === 'local' ? (input.env.STATE_TABLE ?? '') : { Ref: 'StateTable' } };
}
