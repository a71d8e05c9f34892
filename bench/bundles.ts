// Each function bundled as serverless.yml bundles it, vs an empty handler importing the same SDK
// client: size, and the time Node takes to load the module (a floor for the cold start).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
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

// Enough configuration for each handler's cold start to succeed.
const env = {
  ...process.env,
  NODE_PATH: join(root, 'node_modules'),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  SLACK_QUEUE_URL: 'http://127.0.0.1:1/q',
  SLACK_DLQ_URL: 'http://127.0.0.1:1/d',
  SLACK_WEBHOOK_URL: 'http://127.0.0.1:1/s',
  TEAMS_QUEUE_URL: 'http://127.0.0.1:1/q',
  TEAMS_DLQ_URL: 'http://127.0.0.1:1/d',
  TEAMS_WEBHOOK_URL: 'http://127.0.0.1:1/t',
};
const loadMs = (file: string) => {
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
    samples.push(Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })));
  }
  return percentile(samples, 50);
};

const baseFile = await bundle(empty, 'empty');
const baseSize = statSync(baseFile).size / 1024;
const baseLoad = loadMs(baseFile);
const rows = [];
for (const fn of ['ingest', 'slack', 'teams']) {
  const file = await bundle(join(root, `functions/${fn}.ts`), fn);
  rows.push(row(`${fn} bundle size vs empty handler`, statSync(file).size / 1024, baseSize, 'KB'));
  rows.push(
    row(`${fn} module load (median of 15) vs empty handler + SQS client`, loadMs(file), baseLoad, 'ms'),
  );
}
console.log(JSON.stringify(rows));
