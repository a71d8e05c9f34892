import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startDynalite } from '../dynamo';
import { startEmulator } from '../emulator';
import { type Poller, startPoller } from '../poller';
import { type AwsCall, startAwsGate } from './aws-gate';
import { apiRoutes, httpApi } from './http-api';
import { authorize, rolePolicies } from './iam';
import { type FunctionSpec, type RunningFunction, startFunction } from './runtime';
import { ssmStandIn } from './ssm';
import { ofType, type Place, readTemplate, resolver, targetOf } from './template';

export interface PackagedStackOptions {
  /** `serverless package --package <dir>`'s output: the template and one zip per function. */
  artifacts: string;
  /** The node_modules holding the AWS SDK v3 (what Lambda's nodejs24.x runtime provides). */
  sdkModules: string;
  /** SSM SecureStrings by parameter name: the secrets, where the template says to read them. */
  parameters: Record<string, string>;
  /** Port of the local HTTP API (0: a free one). */
  port?: number;
  machineEnv?: Record<string, string>;
  /** The HTTP API serves https with this key and certificate, as API Gateway does. */
  tls: { key: Buffer; cert: Buffer };
  /** Event source mappings start polling; off, a test drives the queues itself. */
  eventSources?: boolean;
  log?: (fn: string, line: string) => void;
  onCall?: (call: AwsCall, message?: string) => void;
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/**
 * Variables a function may read without its template entry setting them: the ones Lambda itself
 * defines (docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html, "Defined runtime
 * environment variables"), and the settings of the AWS SDK (AWS_*, and the home folder where it
 * looks for a shared config file), Powertools (POWERTOOLS_*, ENVIRONMENT) and Node, which our code
 * never reads; and SSM_ENDPOINT and DYNAMODB_ENDPOINT, which point a function at stand-ins when
 * whoever runs it sets them and are unset in AWS (the template leaves them out so a harness's
 * values are never overridden by an empty one). Anything else a function reads must be in its
 * template entry.
 */
const RUNTIME_VARIABLES =
  /^(_HANDLER|_X_AMZN_TRACE_ID|AWS_.*|LAMBDA_.*|TZ|LANG|PATH|LD_LIBRARY_PATH|HOME|HOMEDRIVE|HOMEPATH|USERPROFILE|POWERTOOLS_.*|ENVIRONMENT|NODE_.*|FORCE_COLOR|NO_COLOR|TERM|WATCH_REPORT_DEPENDENCIES|SSM_ENDPOINT|DYNAMODB_ENDPOINT)$/;

/**
 * A packaged stack on 127.0.0.1, as `serverless deploy` would create it: queues and the state
 * table from the template, each function's zip unpacked and run in its own process with the
 * template's environment and its own role's credentials, the HTTP API's routes, and each event
 * source mapping polling its queue. Every AWS call passes the local IAM check (aws-gate.ts).
 */
export async function startPackagedStack(o: PackagedStackOptions) {
  const template = readTemplate(o.artifacts);
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const work = mkdtempSync(join(tmpdir(), 'flagger-notify-packaged-'));
    stops.push(() => rmSync(work, { recursive: true, force: true }));
    // Lambda's runtime provides @aws-sdk/*; the bundles leave it out. Nothing else is provided.
    mkdirSync(join(work, 'runtime/node_modules'), { recursive: true });
    symlinkSync(join(o.sdkModules, '@aws-sdk'), join(work, 'runtime/node_modules/@aws-sdk'));

    const sqsLocal = await startEmulator(0, REGION);
    stops.push(() => sqsLocal.close());
    const dynamoLocal = await startDynalite();
    stops.push(() => dynamoLocal.close());
    const ssm = ssmStandIn(o.parameters, { region: REGION, account: ACCOUNT });

    // The API first: its URL is the stack's ApiEndpoint, which the workers' links name.
    const functions = new Map<string, RunningFunction>();
    const routes = apiRoutes(template);
    const server = await httpApi(o.port ?? 0, o.tls, routes, (id) => functions.get(id));
    stops.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const apiEndpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

    let gate: Awaited<ReturnType<typeof startAwsGate>> | undefined;
    const place = (): Place => ({
      region: REGION,
      account: ACCOUNT,
      queueBase: `${gate?.endpoint}/${ACCOUNT}`,
      apiEndpoint,
    });
    // The roles' statements name ARNs, never queue URLs: judged before the gate's own URL is known.
    const roles = rolePolicies(
      template,
      resolver(template, { region: REGION, account: ACCOUNT, queueBase: '', apiEndpoint }),
    );
    gate = await startAwsGate({
      region: REGION,
      account: ACCOUNT,
      roles,
      upstream: { sqs: sqsLocal.endpoint, dynamodb: dynamoLocal.endpoint },
      ssm,
      onCall: o.onCall,
    });
    stops.push(() => gate?.close());
    const resolve = resolver(template, place());
    // The stack's own String parameters (the API's URL for the CLI), as CloudFormation creates them.
    for (const [, r] of ofType(template, 'AWS::SSM::Parameter')) {
      const q = resolve(r.Properties) as { Name: string; Value: string };
      ssm.parameters[q.Name] = q.Value;
    }
    const t = (id: string) => {
      const r = template.Resources[id];
      if (!r) throw new Error(`template: no resource ${id}`);
      return r;
    };

    // What CloudFormation creates: the queues (dead-letter queues first) and the state table.
    const admin = { region: REGION, credentials: { accessKeyId: 'cloudformation', secretAccessKey: 'x' } };
    const sqsAdmin = new SQSClient({ ...admin, endpoint: sqsLocal.endpoint });
    stops.push(() => sqsAdmin.destroy());
    const queues = ofType(template, 'AWS::SQS::Queue').sort(
      ([, a], [, b]) =>
        Number(Boolean(a.Properties.RedrivePolicy)) - Number(Boolean(b.Properties.RedrivePolicy)),
    );
    for (const [, q] of queues) {
      const { QueueName, ...props } = resolve(q.Properties) as Record<string, unknown>;
      const Attributes = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
      );
      await sqsAdmin.send(new CreateQueueCommand({ QueueName: String(QueueName), Attributes }));
    }
    const dynamoAdmin = new DynamoDBClient({ ...admin, endpoint: dynamoLocal.endpoint });
    stops.push(() => dynamoAdmin.destroy());
    for (const [, t] of ofType(template, 'AWS::DynamoDB::Table')) {
      const p = resolve(t.Properties) as Record<string, never>;
      await dynamoAdmin.send(
        new CreateTableCommand({
          TableName: p.TableName,
          AttributeDefinitions: p.AttributeDefinitions,
          KeySchema: p.KeySchema,
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
          BillingMode: p.BillingMode,
        }),
      );
    }

    // CreateEventSourceMapping refuses a role that cannot read its queue, before anything runs.
    const mappingSpecs = ofType(template, 'AWS::Lambda::EventSourceMapping').map(([id, m]) => {
      const p = m.Properties as Record<string, unknown>;
      const fn = targetOf(p.FunctionName);
      const role = targetOf(t(fn).Properties.Role);
      const queue = targetOf(p.EventSourceArn);
      const arn = String(resolve(p.EventSourceArn));
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
        const verdict = authorize(roles.get(role) ?? [], { role, action, resource: arn });
        if (!verdict.allowed)
          throw new Error(
            `${id}: the provided execution role does not have permissions to call ${action.split(':')[1]} on SQS (${verdict.message})`,
          );
      }
      return {
        id,
        fn,
        queue: { url: String(resolve({ Ref: queue })), arn },
        batchSize: Number(p.BatchSize ?? 10),
        maximumConcurrency: Number(
          (p.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 1000,
        ),
        reportsFailures: ((p.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
      };
    });

    const runtimeOptions = {
      region: REGION,
      awsEndpoint: gate.endpoint,
      credentials: gate.credentials,
      runtimeModules: join(work, 'runtime'),
      machineEnv: o.machineEnv,
      log: o.log,
    };
    // Each function's zip, unpacked where Lambda would mount it, and its execution environment.
    for (const [id, f] of ofType(template, 'AWS::Lambda::Function')) {
      const p = f.Properties as Record<string, unknown>;
      const zip = basename(String((p.Code as { S3Key: string }).S3Key));
      const dir = join(work, 'task', id);
      mkdirSync(dir, { recursive: true });
      execFileSync('unzip', ['-q', join(o.artifacts, zip), '-d', dir]);
      const env = resolve((p.Environment as { Variables?: object } | undefined)?.Variables ?? {});
      const spec: FunctionSpec = {
        id,
        name: String(p.FunctionName),
        handler: String(p.Handler),
        role: targetOf(p.Role),
        timeoutSeconds: Number(p.Timeout ?? 6),
        memoryMb: Number(p.MemorySize ?? 1024),
        dir,
        environment: Object.fromEntries(Object.entries(env as object).map(([k, v]) => [k, String(v)])),
      };
      const fn = startFunction(spec, runtimeOptions);
      functions.set(id, fn);
      stops.push(() => fn.stop());
    }

    const mappings = mappingSpecs.map((m) => {
      const fn = functions.get(m.fn);
      if (!fn) throw new Error(`${m.id}: no function ${m.fn}`);
      return { ...m, fn };
    });
    const pollers: Poller[] = [];
    // More environments of a mapped function, up to its MaximumConcurrency (at most 2 here: the
    // first busy batch is what a second one is for), started when a second batch arrives.
    const extras = new Map<string, RunningFunction[]>();
    const startEventSources = () => {
      for (const m of mappings) {
        const more = Array.from({ length: Math.min(m.maximumConcurrency, 2) - 1 }, () =>
          startFunction(m.fn.spec, runtimeOptions, true),
        );
        extras.set(m.fn.spec.id, more);
        stops.push(async () => {
          await Promise.all(more.map((f) => f.stop()));
        });
        const invoker = (fn: RunningFunction) => async (event: SQSEvent) => {
          const out = await fn.invoke(event);
          if ('error' in out) throw new Error(`${out.error.errorType}: ${out.error.errorMessage}`);
          // Without ReportBatchItemFailures, a result never names failures.
          return m.reportsFailures ? (out.result as SQSBatchResponse) : undefined;
        };
        const sqs = new SQSClient({
          region: REGION,
          endpoint: gate?.endpoint,
          credentials: gate?.credentials(m.fn.spec.role),
          requestHandler: { requestTimeout: 25_000 },
        });
        stops.push(() => sqs.destroy());
        pollers.push(
          startPoller({
            sqs,
            queue: m.queue,
            region: REGION,
            functionName: m.fn.spec.name,
            batchSize: m.batchSize,
            waitSeconds: 1,
            timeoutMs: m.fn.spec.timeoutSeconds * 1000,
            handler: [m.fn, ...more].map(invoker),
            onError: (err) => o.log?.(m.fn.spec.name, `event source: ${(err as Error).message}`),
          }),
        );
      }
    };
    stops.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });
    if (o.eventSources !== false) startEventSources();

    const byName = (name: string) => {
      const fn = [...functions.values()].find((f) => f.spec.name === name || f.spec.id === name);
      if (!fn) throw new Error(`no packaged function ${name}`);
      return fn;
    };
    return {
      apiUrl: apiEndpoint,
      routes,
      template,
      resolve,
      functions,
      mappings,
      /** Every AWS call the functions and their event sources made, with IAM's verdict. */
      calls: gate.calls as readonly AwsCall[],
      ssm,
      sqsEndpoint: sqsLocal.endpoint,
      invoke: (name: string, event: unknown) => byName(name).invoke(event),
      /** Accepted events still in the mapped queues (undelivered, or waiting for a retry). */
      async backlog(): Promise<number> {
        let n = 0;
        for (const m of mappings) {
          const { Attributes: a = {} } = await sqsAdmin.send(
            new GetQueueAttributesCommand({
              QueueUrl: `${sqsLocal.endpoint}/${ACCOUNT}/${m.queue.url.split('/').pop()}`,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          n +=
            Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
        }
        return n;
      },
      startEventSources,
      /** Everything every execution environment printed (their CloudWatch logs). */
      logs: () => [...functions.values(), ...[...extras.values()].flat()].map((f) => f.output()).join('\n'),
      /** Per function: the variables its code read that neither its template entry nor Lambda sets. */
      async unsetReads(): Promise<Record<string, string[]>> {
        const out: Record<string, string[]> = {};
        for (const fn of functions.values()) {
          const reads = [
            ...(await fn.reads()),
            ...(await Promise.all((extras.get(fn.spec.id) ?? []).map((x) => x.reads()))).flat(),
          ];
          const missing = [...new Set(reads)].filter(
            // `then`: a promise resolving to the environment looks for it; not a variable.
            (v) => !(v in fn.spec.environment) && !RUNTIME_VARIABLES.test(v) && v !== 'then',
          );
          if (missing.length) out[fn.spec.id] = missing.sort();
        }
        return out;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
export type PackagedStack = Awaited<ReturnType<typeof startPackagedStack>>;
