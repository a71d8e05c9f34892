import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues } from '../lib/local/queues';
import { localServiceDef } from '../lib/local/serverless-config';
import { type Receiver, startReceiver } from './helpers/receiver';
import { startSqs } from './helpers/sqs';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
// osls (the open-source CLI) from node_modules, on the Node that runs the tests (24).
const sls = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [join(root, 'node_modules/osls/bin/serverless.js'), ...args], {
    cwd: root,
    env: { ...process.env, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '', INGEST_TOKEN: '', ...env },
    timeout: 120_000,
  });

type Resource = { Type: string; Properties: Record<string, unknown> };
// Both describes share .esbuild/; tests within a file run one after the other.
describe('serverless.yml', () => {
  describe('packaged offline (osls)', () => {
    let resources: Record<string, Resource>;
    const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
    const envOf = (fn: string): Record<string, unknown> => {
      const props = resources[fn]?.Properties as { Environment: { Variables: Record<string, unknown> } };
      return props.Environment.Variables;
    };

    let templateText = '';
    let artifacts = '';
    // Secrets in the deployer's environment must not reach a deployed stage's template.
    const SECRETS = {
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/SECRETSLACK',
      TEAMS_WEBHOOK_URL: 'https://x.logic.azure.com/workflows/SECRETTEAMS',
      INGEST_TOKEN: 'SECRETTOKEN0123456789',
    };
    beforeAll(async () => {
      const out = mkdtempSync(join(tmpdir(), 'sls-'));
      artifacts = out;
      await sls(['package', '--stage', 'test', '--package', out], SECRETS);
      templateText = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
      resources = JSON.parse(templateText).Resources;
    }, 120_000);

    it('packages the YAML parser and the template engine beside a worker’s bundle, and they load from there', () => {
      const dir = mkdtempSync(join(tmpdir(), 'sls-slack-'));
      execFileSync('unzip', ['-q', join(artifacts, 'slack.zip'), '-d', dir]);
      // The bundle every cold start parses holds neither; a stack with a routing file loads them.
      expect(statSync(join(dir, 'functions/worker.cjs')).size).toBeLessThan(300 * 1024);
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const {Liquid}=require('liquidjs');const {parse}=require('yaml');
           const t=parse('title: "{{ canary }} failed"').title;
           process.stdout.write(new Liquid({strictVariables:true}).parseAndRenderSync(t,{canary:'checkout.shop'}))`,
        ],
        { cwd: join(dir, 'functions'), encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
      );
      expect(out).toBe('checkout.shop failed');
    });

    it('holds no secret: functions get SSM parameter names, not values', () => {
      // The values given at package time; variable names such as LINK_SECRET are not secrets.
      for (const v of ['SECRETSLACK', 'SECRETTEAMS', 'SECRETTOKEN']) expect(templateText).not.toContain(v);
      const env = (fn: string) => envOf(fn);
      expect(env('IngestLambdaFunction')).toMatchObject({
        INGEST_TOKEN: '',
        INGEST_TOKEN_PARAM: '/flagger-notify/test/ingest-token',
        STAGE: 'test',
      });
      expect(env('SlackLambdaFunction')).toMatchObject({
        SLACK_WEBHOOK_URL: '',
        SLACK_WEBHOOK_URL_PARAM: '/flagger-notify/test/slack-webhook-url',
        CONFIG_PARAM: '/flagger-notify/test/config',
      });
      expect(env('TeamsLambdaFunction')).toMatchObject({
        TEAMS_WEBHOOK_URL: '',
        TEAMS_WEBHOOK_URL_PARAM: '/flagger-notify/test/teams-webhook-url',
      });
    });

    it('encrypts every queue and the state table at rest, and throttles the HTTP API', () => {
      const queues = ofType('AWS::SQS::Queue');
      expect(queues).toHaveLength(3);
      for (const [, q] of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      expect(resources.HttpApiStage?.Properties.DefaultRouteSettings).toEqual({
        ThrottlingRateLimit: '20',
        ThrottlingBurstLimit: '40',
      });
    });

    it('keeps rollout state and mute windows in one pay-per-request table whose items expire', () => {
      expect(resources.StateTable?.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      expect(envOf('IngestLambdaFunction').STATE_TABLE).toEqual({ Ref: 'StateTable' });
      expect(envOf('SlackLambdaFunction').STATE_TABLE).toEqual({ Ref: 'StateTable' });
    });

    it('has an HTTP API routing POST /events (and /{route}) to ingest and GET /rollouts/… and /fleet to the pages', () => {
      expect(ofType('AWS::ApiGatewayV2::Api')).toHaveLength(1);
      const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
      expect(routes).toEqual([
        'POST /events',
        'POST /events/{route}',
        'GET /rollouts/{namespace}/{name}/{rollout}',
        'POST /rollouts/{namespace}/{name}/{rollout}',
        'GET /clusters/{cluster}/rollouts/{namespace}/{name}/{rollout}',
        'POST /clusters/{cluster}/rollouts/{namespace}/{name}/{rollout}',
        'GET /fleet',
        'POST /gate/{action}',
        'POST /rollback/{action}',
        'POST /slack/interactions',
        'POST /teams/messages',
      ]);
      const integrations = ofType('AWS::ApiGatewayV2::Integration').map(([, i]) =>
        JSON.stringify(i.Properties.IntegrationUri),
      );
      expect(integrations.some((u) => u.includes('IngestLambdaFunction'))).toBe(true);
      expect(integrations.some((u) => u.includes('WebLambdaFunction'))).toBe(true);
    });

    it('lets the rollout and fleet pages read the state table, its fleet index and the link secret, and their form write the gate and its nonce', () => {
      const role = resources.WebRole as unknown as {
        Properties: {
          Policies: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } }[];
        };
      };
      const statements = role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
      expect(statements.map((s) => s.Action)).toEqual([
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchGetItem'],
        'dynamodb:Query',
        'ssm:GetParameters',
      ]);
      // The fleet page reads the fleet index only, never the index of failures.
      expect(JSON.stringify(statements[2]?.Resource)).toContain('/index/fleet');
      expect(JSON.stringify(statements[2]?.Resource)).not.toContain('failing');
      expect(JSON.stringify(statements[3]?.Resource)).toContain('/flagger-notify/test/link-secret');
      expect(envOf('WebLambdaFunction').LINK_SECRET_PARAM).toBe('/flagger-notify/test/link-secret');
      expect(envOf('SlackLambdaFunction').PUBLIC_URL).toEqual({ 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] });
    });

    it('runs ingest, the rollout pages, the two default workers and the status function on nodejs24.x arm64', () => {
      const fns = ofType('AWS::Lambda::Function').map(([id, r]) => [
        id,
        r.Properties.Runtime,
        r.Properties.Architectures,
      ]);
      expect(fns).toEqual([
        ['IngestLambdaFunction', 'nodejs24.x', ['arm64']],
        ['WebLambdaFunction', 'nodejs24.x', ['arm64']],
        ['GatesLambdaFunction', 'nodejs24.x', ['arm64']],
        ['InteractionsLambdaFunction', 'nodejs24.x', ['arm64']],
        ['TeamsMessagesLambdaFunction', 'nodejs24.x', ['arm64']],
        ['SlackLambdaFunction', 'nodejs24.x', ['arm64']],
        ['TeamsLambdaFunction', 'nodejs24.x', ['arm64']],
        ['StatusLambdaFunction', 'nodejs24.x', ['arm64']],
      ]);
    });

    it.each(['Slack', 'Teams'])(
      'gives %s a FIFO queue redriving to the shared FIFO DLQ, with 14-day retention',
      (ch) => {
        const q = resources[`${ch}Queue`]?.Properties ?? {};
        const dlq = resources.DeadLetterQueue?.Properties ?? {};
        expect(q).toMatchObject({
          FifoQueue: true,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
        });
        expect((q.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount).toBeGreaterThanOrEqual(3);
        expect(dlq).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 1209600 });
        expect(String(q.QueueName)).toBe(`flagger-notify-test-${ch.toLowerCase()}.fifo`);
        // Lambda's guidance: visibility timeout at least 6 × the function timeout.
        const timeout = resources[`${ch}LambdaFunction`]?.Properties.Timeout as number;
        expect(q.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
      },
    );

    it.each(['Slack', 'Teams'])('maps the %s queue to its worker with ReportBatchItemFailures', (ch) => {
      const m = ofType('AWS::Lambda::EventSourceMapping').find(([id]) => id.startsWith(ch))?.[1].Properties;
      expect(m).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [`${ch}Queue`, 'Arn'] },
        FunctionName: { 'Fn::GetAtt': [`${ch}LambdaFunction`, 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it.each(['Slack', 'Teams'])('caps %s worker concurrency so pacing bounds the webhook rate', (ch) => {
      const m = ofType('AWS::Lambda::EventSourceMapping').find(([id]) => id.startsWith(ch))?.[1].Properties;
      expect(m?.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
    });

    it('alarms once, on the shared DLQ, for every provider’s dead letters', () => {
      expect(resources.DeadLettersAlarm?.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
    });

    it.each(['Slack', 'Teams'])('alarms on stuck %s deliveries, notifying the alarm topic', (ch) => {
      const stuck = resources[`${ch}StuckAlarm`]?.Properties;
      expect(stuck).toMatchObject({
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [`${ch}Queue`, 'QueueName'] } }],
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
    });

    it('subscribes an email to the alarm topic only when ALARM_EMAIL is given', () => {
      expect(resources.AlarmEmailSubscription).toMatchObject({
        Condition: 'HasAlarmEmail',
        Properties: { Protocol: 'email' },
      });
    });

    type Statement = { Action: string | string[]; Resource: unknown };
    /** A role's inline policies plus the stand-alone policies attached to it (IngestQueuesPolicy). */
    const statementsOf = (role: string): Statement[] => {
      const props = resources[role]?.Properties as {
        Policies: { PolicyDocument: { Statement: Statement[] } }[];
      };
      const attached = ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .map(([, p]) => p.Properties as { PolicyDocument: { Statement: Statement[] } });
      return [...props.Policies, ...attached].flatMap((p) => p.PolicyDocument.Statement);
    };
    const actions = (st: Statement) => [st.Action].flat();
    const grants = (role: string, action: string) =>
      statementsOf(role)
        .filter((st) => actions(st).includes(action))
        .flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r)));

    it('gives each function its own role and no shared one', () => {
      for (const [fn, role] of [
        ['Ingest', 'IngestRole'],
        ['Slack', 'SlackRole'],
        ['Teams', 'TeamsRole'],
      ]) {
        expect(resources[`${fn}LambdaFunction`]?.Properties.Role).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
      }
      expect(resources.IamRoleLambdaExecution).toBeUndefined();
    });

    it('has no wildcard action and no "*" resource in any policy', () => {
      for (const [id] of ofType('AWS::IAM::Role')) {
        expect(statementsOf(id).length, id).toBeGreaterThan(0);
        for (const st of statementsOf(id)) {
          for (const a of actions(st)) expect(a, id).not.toContain('*');
          for (const r of [st.Resource].flat()) expect(r, id).not.toBe('*');
        }
      }
    });

    it('lets ingest only send to the two queues, claim mutes and read its own parameters', () => {
      expect(statementsOf('IngestRole').flatMap(actions).sort()).toEqual(
        [
          'dynamodb:DeleteItem',
          'dynamodb:PutItem',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sqs:SendMessage',
          'ssm:GetParameters',
        ].sort(),
      );
      for (const a of ['dynamodb:PutItem', 'dynamodb:DeleteItem']) {
        expect(grants('IngestRole', a)).toEqual([JSON.stringify({ 'Fn::GetAtt': ['StateTable', 'Arn'] })]);
      }
      expect(grants('IngestRole', 'sqs:SendMessage')).toEqual([
        JSON.stringify({ 'Fn::GetAtt': ['SlackQueue', 'Arn'] }),
        JSON.stringify({ 'Fn::GetAtt': ['TeamsQueue', 'Arn'] }),
      ]);
      const ssm = grants('IngestRole', 'ssm:GetParameters').join();
      expect(ssm).toContain('parameter/flagger-notify/test/ingest-token"');
      expect(ssm).toContain('parameter/flagger-notify/test/ingest-token-previous"');
      expect(ssm).toContain('parameter/flagger-notify/test/config"');
    });

    it.each(['Slack', 'Teams'])(
      'lets the %s worker touch only its own queue, the DLQ and its webhook parameter',
      (ch) => {
        const role = `${ch}Role`;
        const queue = JSON.stringify({ 'Fn::GetAtt': [`${ch}Queue`, 'Arn'] });
        for (const a of [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ChangeMessageVisibility',
        ]) {
          expect(grants(role, a)).toEqual([queue]);
        }
        expect(grants(role, 'sqs:SendMessage')).toEqual([
          JSON.stringify({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }),
        ]);
        for (const a of ['dynamodb:GetItem', 'dynamodb:PutItem']) {
          expect(grants(role, a)).toEqual([JSON.stringify({ 'Fn::GetAtt': ['StateTable', 'Arn'] })]);
        }
        for (const a of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem']) expect(grants(role, a)).toEqual([]);
        expect(grants(role, 'ssm:GetParameters')).toEqual(
          [`${ch.toLowerCase()}-webhook-url`, 'link-secret', 'config'].map((p) =>
            JSON.stringify({
              'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/flagger-notify/test/${p}`,
            }),
          ),
        );
      },
    );

    it('hands ingest the queue URLs by reference, not by a hard-coded value', () => {
      const fn = resources.IngestLambdaFunction?.Properties as {
        Environment: { Variables: Record<string, unknown> };
      };
      const env = fn.Environment.Variables;
      expect(env.SLACK_QUEUE_URL).toEqual({ Ref: 'SlackQueue' });
      expect(env.TEAMS_QUEUE_URL).toEqual({ Ref: 'TeamsQueue' });
    });

    it('declares the queues the local pipeline creates, with the same settings', () => {
      const local = localServiceDef(join(root, 'serverless.yml'), {}).queues.filter((q) =>
        /^((Slack|Teams)Queue|DeadLetterQueue)$/.test(q.logicalId),
      );
      expect(local).toHaveLength(3);
      for (const q of local) {
        const props = resources[q.logicalId]?.Properties ?? {};
        expect(props.QueueName).toBe(q.name.replace('-local-', '-test-'));
        for (const [k, v] of Object.entries(q.attributes)) expect(String(props[k])).toBe(v);
        if (q.redrive)
          expect(
            (props.RedrivePolicy as { maxReceiveCount: number; windowSeconds: 7200 }).maxReceiveCount,
          ).toBe(q.redrive.maxReceiveCount);
      }
    });
  });

  describe('packaged for the providers a deploy names', () => {
    const pkg = async (env: Record<string, string>) => {
      const out = mkdtempSync(join(tmpdir(), 'sls-'));
      await sls(['package', '--stage', 'test', '--package', out], env);
      const t = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
      const ids = Object.keys(t.Resources as Record<string, Resource>);
      const of = (type: string) => ids.filter((id) => t.Resources[id].Type === type).sort();
      return { t, of, text: JSON.stringify(t) };
    };

    it('CHANNELS=slack,discord yields queues, functions, roles and alarms for exactly those two', async () => {
      const { t, of } = await pkg({ CHANNELS: 'slack,discord' });
      expect(of('AWS::SQS::Queue')).toEqual(['DeadLetterQueue', 'DiscordQueue', 'SlackQueue']);
      expect(of('AWS::Lambda::Function')).toEqual([
        'DiscordLambdaFunction',
        'GatesLambdaFunction',
        'IngestLambdaFunction',
        'InteractionsLambdaFunction',
        'SlackLambdaFunction',
        'StatusLambdaFunction',
        'TeamsMessagesLambdaFunction',
        'WebLambdaFunction',
      ]);
      expect(of('AWS::Lambda::EventSourceMapping')).toHaveLength(2);
      expect(of('AWS::IAM::Role')).toEqual([
        'DiscordRole',
        'GatesRole',
        'IngestRole',
        'SlackInteractionsRole',
        'SlackRole',
        'StatusRole',
        'TeamsMessagesRole',
        'WebRole',
      ]);
      expect(of('AWS::CloudWatch::Alarm')).toEqual([
        'CanaryFailedAlarm',
        'DeadLettersAlarm',
        'DiscordStuckAlarm',
        'SlackStuckAlarm',
      ]);
      const ingest = t.Resources.IngestLambdaFunction.Properties.Environment.Variables;
      expect(ingest).toMatchObject({
        CHANNELS: 'slack,discord',
        SLACK_QUEUE_URL: { Ref: 'SlackQueue' },
        DISCORD_QUEUE_URL: { Ref: 'DiscordQueue' },
      });
      expect(ingest.TEAMS_QUEUE_URL).toBeUndefined();
      expect(t.Resources.IngestQueuesPolicy.Properties.PolicyDocument.Statement[0].Resource).toEqual([
        { 'Fn::GetAtt': ['SlackQueue', 'Arn'] },
        { 'Fn::GetAtt': ['DiscordQueue', 'Arn'] },
      ]);
      const discord = t.Resources.DiscordLambdaFunction.Properties;
      expect(discord.Handler).toBe('functions/worker.handler');
      expect(discord.Environment.Variables).toMatchObject({
        PROVIDER: 'discord',
        DISCORD_WEBHOOK_URL: '',
        DISCORD_WEBHOOK_URL_PARAM: '/flagger-notify/test/discord-webhook-url',
      });
    }, 120_000);

    it('without CHANNELS builds every provider whose webhook variable is set, and never its value', async () => {
      const { of, text } = await pkg({
        CHANNELS: '',
        DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/SECRETDISCORD',
        WEBHOOK_URL_PARAM: '/team/webhook-url',
        WEBHOOK_SECRET: 'SECRETSIGNINGKEY123',
      });
      expect(of('AWS::SQS::Queue')).toEqual(['DeadLetterQueue', 'DiscordQueue', 'WebhookQueue']);
      expect(text).not.toContain('SECRETDISCORD');
      expect(text).not.toContain('SECRETSIGNINGKEY');
      expect(text).toContain('parameter/team/webhook-url');
      expect(text).toContain('parameter/flagger-notify/test/webhook-secret');
    }, 120_000);

    it('refuses an unknown provider in CHANNELS, naming it', async () => {
      const failed = await pkg({ CHANNELS: 'slack,pager' }).catch((e: { stdout: string }) => e.stdout);
      expect(failed).toContain('CHANNELS: unknown provider "pager"');
    }, 120_000);
  });

  describe('the CanaryStatus path (status function, schedule, alarm)', () => {
    let t: { Resources: Record<string, Resource> };
    beforeAll(async () => {
      const out = mkdtempSync(join(tmpdir(), 'sls-'));
      await sls(['package', '--stage', 'test', '--package', out], { CHANNELS: 'slack,alertmanager' });
      t = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    }, 120_000);

    it('runs the status function every minute', () => {
      const rule = Object.values(t.Resources).find((r) => r.Type === 'AWS::Events::Rule');
      expect(rule?.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
      expect(JSON.stringify(rule?.Properties.Targets)).toContain('StatusLambdaFunction');
      expect(t.Resources.StatusLambdaFunction?.Properties).toMatchObject({
        Handler: 'functions/status.handler',
        Runtime: 'nodejs24.x',
      });
    });

    it('alarms per failed canary with a Metrics Insights query over CanaryStatus', () => {
      const alarm = t.Resources.CanaryFailedAlarm?.Properties as Record<string, unknown>;
      const [query] = alarm.Metrics as { Expression: string; Period: number }[];
      expect(query?.Expression).toBe(
        'SELECT MAX(CanaryStatus) FROM SCHEMA("FlaggerNotify", name, namespace, service) GROUP BY namespace, name ORDER BY MAX() DESC',
      );
      expect(query?.Period).toBe(60);
      expect(alarm).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
    });

    it('lets the status function query its two indexes, keep its records, and read the parameters of the providers it refreshes or reports to', () => {
      const role = t.Resources.StatusRole?.Properties as {
        Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[];
      };
      const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
      expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ssm:GetParameters',
        ].sort(),
      );
      const query = statements.find((s) => s.Action === 'dynamodb:Query');
      expect(query?.Resource).toEqual(
        ['failing', 'fleet'].map((i) => ({
          'Fn::Join': ['', [{ 'Fn::GetAtt': ['StateTable', 'Arn'] }, `/index/${i}`]],
        })),
      );
      const ssm = JSON.stringify(statements.find((s) => s.Action === 'ssm:GetParameters')?.Resource);
      expect(ssm).toContain('parameter/flagger-notify/test/alertmanager-url');
      // Slack takes digests and quiet-hours summaries: its webhook URL and the link secret.
      expect(ssm).toContain('parameter/flagger-notify/test/slack-webhook-url');
      expect(ssm).toContain('parameter/flagger-notify/test/link-secret');
      expect(ssm.match(/link-secret/g)).toHaveLength(1);
    });
  });

  describe('invoke local --stage local with the sample events', () => {
    let sqs: Awaited<ReturnType<typeof startSqs>>;
    let rx: Receiver;
    beforeAll(async () => {
      sqs = await startSqs();
      await createQueues(sqs.sqs, localServiceDef(join(root, 'serverless.yml'), {}).queues);
      rx = await startReceiver();
    });
    afterAll(async () => {
      await sqs?.close();
      await rx?.close();
    });
    const invoke = async (fn: string, event: string, env: Record<string, string> = {}) => {
      const { stdout } = await sls(
        ['invoke', 'local', '--stage', 'local', '-f', fn, '-p', `events/${event}`],
        {
          SQS_PORT: String(sqs.emulator.port),
          ...env,
        },
      );
      // The result is the last JSON object printed, after the handler's log lines.
      return JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1));
    };

    it('ingest queues events/ingest-started.json on both local queues', async () => {
      const out = await invoke('ingest', 'ingest-started.json');
      expect(out.statusCode).toBe(202);
      expect(JSON.parse(out.body)).toEqual({
        status: 'queued',
        providers: ['slack', 'teams'],
        destinations: ['slack', 'teams'],
      });
      const sent = JSON.parse(
        JSON.parse(readFileSync(join(root, 'events/ingest-started.json'), 'utf8')).body,
      );
      for (const ch of ['slack', 'teams']) {
        const url = `${sqs.emulator.endpoint}/000000000000/flagger-notify-local-${ch}.fifo`;
        const { Messages = [] } = await sqs.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }),
        );
        expect(Messages.map((m) => JSON.parse(m.Body ?? '').event)).toEqual([sent]);
      }
    }, 120_000);

    it('ingest rejects events/ingest-bad-request.json with 400 naming the field', async () => {
      const out = await invoke('ingest', 'ingest-bad-request.json');
      expect(out.statusCode).toBe(400);
      expect(JSON.parse(out.body).error).toContain('metadata.timestamp');
    }, 120_000);

    it.each(['slack', 'teams'])(
      '%s delivers its sample SQS event (events/<fn>-sqs.json) to its webhook',
      async (fn) => {
        const before = rx.received.length;
        const out = await invoke(fn, `${fn}-sqs.json`, {
          [`${fn.toUpperCase()}_WEBHOOK_URL`]: rx.url(`/${fn}`),
          // Without npm start's dynalite there is no state table: send every event.
          EVENTS: 'all',
        });
        expect(out).toEqual({ batchItemFailures: [] });
        expect(rx.received.slice(before).map((r) => r.path)).toEqual([`/${fn}`, `/${fn}`]);
      },
      120_000,
    );
  });
});
