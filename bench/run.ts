// `npm run bench`: every measurement in a fresh process (no shared module state or warm JIT),
// one Markdown table, also written to bench/results.md with the machine it ran on.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { markdown, type Row } from './stats';

const sections = [
  'ingest',
  'ack',
  'worker',
  'sibling',
  'isolation',
  'rollouts',
  'requests',
  'bundles',
  'coldstart',
];
const rows: Row[] = [];
const started = Date.now();
for (const s of sections) {
  process.stderr.write(`bench: ${s}…\n`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, `${s}.ts`)], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  rows.push(...(JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as Row[]));
}
const table = markdown(rows);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, ${process.platform}/${process.arch}`;
console.log(table);
console.log(`\n${machine}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
writeFileSync(
  join(import.meta.dirname, 'results.md'),
  `# npm run bench\n\n${new Date().toISOString()} on ${machine}.\n\n${table}\n\n` +
    'Baselines are measured in the same run, interleaved with the subject where both run in one process.\n',
);
