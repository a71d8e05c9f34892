// Each function bundled as serverless.yml bundles it, vs an empty handler importing the same SDK
// client: size, and the time Node takes to load the module (a floor for the cold start).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROVIDERS } from '../lib/providers/catalog';
import { DLQ_ENV, queueEnv } from '../lib/providers/provider';
import { lambdaBundle } from './lambda-bundle';
import { limitRow, percentile, row } from './stats';

const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
const empty = join(out, 'empty.ts');
writeFileSync(
  empty,
  "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const handler = async () => new SQSClient({});\n",
);

const bundle = (entry: string, name: string) => lambdaBundle(entry, out, name);

// Enough configuration for each handler's cold start to succeed: every provider's queues and URL.
const env: Record<string, string | undefined> = {
  ...process.env,
  NODE_PATH: join(root, 'node_modules'),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  STATE_TABLE: 'bench-state',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
  EVENTS: 'all',
};
for (const p of PROVIDERS) {
  env[queueEnv(p.id)] = 'http://127.0.0.1:1/q';
  env[DLQ_ENV] = 'http://127.0.0.1:1/d';
  env[p.on] = p.on.endsWith('_URL') ? `http://127.0.0.1:1/${p.id}` : 'xoxb-bench-token';
}
const loadOnce = (file: string, provider = '') => {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  return Number(
    execFileSync(process.execPath, ['-e', script], { env: { ...env, PROVIDER: provider }, encoding: 'utf8' }),
  );
};
/** Median of 15 loads of `file`, each right after one of `base`, so drift hits both alike. */
const loadMs = (file: string, base: string, provider = '') => {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 15; i++) {
    b.push(loadOnce(base));
    a.push(loadOnce(file, provider));
  }
  return { value: percentile(a, 50), baseline: percentile(b, 50) };
};

// Targets: every bundle ≤ 300 KB; module load ≤ 1.5× an empty handler that loads the SDK client
// the function cannot do without (SQS for ingest and workers, DynamoDB for the status function).
const MAX_KB = 300;
const MAX_LOAD = 1.5;
const baseFile = await bundle(empty, 'empty');
const baseSize = statSync(baseFile).size / 1024;
const emptyDynamo = join(out, 'empty-dynamo.ts');
writeFileSync(
  emptyDynamo,
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = async () => new DynamoDBClient({});\n",
);
const baseDynamo = await bundle(emptyDynamo, 'empty-dynamo');
const rows = [];
const size = (name: string, file: string) =>
  limitRow(`${name} bundle size vs empty handler`, statSync(file).size / 1024, baseSize, 'KB', MAX_KB);
const load = (measure: string, file: string, base: string, provider = '') => {
  const { value, baseline } = loadMs(file, base, provider);
  return row(measure, value, baseline, 'ms', MAX_LOAD);
};
const ingest = await bundle(join(root, 'functions/ingest.ts'), 'ingest');
rows.push(size('ingest', ingest));
rows.push(load('ingest module load (median of 15) vs empty handler + SQS client', ingest, baseFile));
// The scheduled status function (CanaryStatus, Alertmanager refresh).
const status = await bundle(join(root, 'functions/status.ts'), 'status');
rows.push(size('status', status));
rows.push(load('status module load (median of 15) vs empty handler + DynamoDB client', status, baseDynamo));
// The rollout pages (GET /rollouts/…): reads the state table.
const web = await bundle(join(root, 'functions/web.ts'), 'web');
rows.push(size('web (rollout pages)', web));
rows.push(load('web module load (median of 15) vs empty handler + DynamoDB client', web, baseDynamo));
// The Teams bot's messaging endpoint (POST /teams/messages): jose's JWT check and the state table.
const teams = await bundle(join(root, 'functions/teams-messages.ts'), 'teams-messages');
rows.push(size('teamsMessages (Teams presses)', teams));
rows.push(
  load('teamsMessages module load (median of 15) vs empty handler + DynamoDB client', teams, baseDynamo),
);
// Every generated worker function runs this one bundle with its own PROVIDER.
const worker = await bundle(join(root, 'functions/worker.ts'), 'worker');
rows.push(size('worker (every provider)', worker));
for (const p of PROVIDERS) {
  rows.push(
    load(`${p.id} worker module load (median of 15) vs empty handler + SQS client`, worker, baseFile, p.id),
  );
}
console.log(JSON.stringify(rows));
