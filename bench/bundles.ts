// Each function bundled as serverless.yml bundles it, vs an empty handler importing the same SDK
// client: size, and the time Node takes to load the module (a floor for the cold start).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { PROVIDERS } from '../lib/providers/catalog';
import { dlqEnv, queueEnv } from '../lib/providers/provider';
import { percentile, row } from './stats';

const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
const empty = join(out, 'empty.ts');
writeFileSync(
  empty,
  "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const handler = async () => new SQSClient({});\n",
);

async function bundle(entry: string, name: string): Promise<string> {
  const file = join(out, `${name}.cjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    minify: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    external: ['@aws-sdk/*'],
    nodePaths: [join(root, 'node_modules')],
    logLevel: 'error',
  });
  return file;
}

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
  env[dlqEnv(p.id)] = 'http://127.0.0.1:1/d';
  env[p.on] = p.on.endsWith('_URL') ? `http://127.0.0.1:1/${p.id}` : 'xoxb-bench-token';
}
const loadMs = (file: string, provider = '') => {
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
    samples.push(
      Number(
        execFileSync(process.execPath, ['-e', script], {
          env: { ...env, PROVIDER: provider },
          encoding: 'utf8',
        }),
      ),
    );
  }
  return percentile(samples, 50);
};

const baseFile = await bundle(empty, 'empty');
const baseSize = statSync(baseFile).size / 1024;
const baseLoad = loadMs(baseFile);
const rows = [];
const ingest = await bundle(join(root, 'functions/ingest.ts'), 'ingest');
rows.push(row('ingest bundle size vs empty handler', statSync(ingest).size / 1024, baseSize, 'KB'));
rows.push(
  row('ingest module load (median of 15) vs empty handler + SQS client', loadMs(ingest), baseLoad, 'ms'),
);
// The scheduled status function (CanaryStatus, Alertmanager refresh).
const status = await bundle(join(root, 'functions/status.ts'), 'status');
rows.push(row('status bundle size vs empty handler', statSync(status).size / 1024, baseSize, 'KB'));
rows.push(
  row('status module load (median of 15) vs empty handler + SQS client', loadMs(status, ''), baseLoad, 'ms'),
);
// Every generated worker function runs this one bundle with its own PROVIDER.
const worker = await bundle(join(root, 'functions/worker.ts'), 'worker');
rows.push(
  row('worker bundle size (every provider) vs empty handler', statSync(worker).size / 1024, baseSize, 'KB'),
);
for (const p of PROVIDERS) {
  rows.push(
    row(
      `${p.id} worker module load (median of 15) vs empty handler + SQS client`,
      loadMs(worker, p.id),
      baseLoad,
      'ms',
    ),
  );
}
console.log(JSON.stringify(rows));
