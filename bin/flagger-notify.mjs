#!/usr/bin/env node
// The operator CLI as compiled JavaScript: plain Node and production dependencies only. In a
// checkout it is compiled from lib/ops/cli.ts on each run (so it is never stale); a packed
// copy (`npm pack`) carries dist/ and runs it as is.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
if (existsSync(resolve(root, 'lib/ops/cli.ts'))) {
  const { buildCli } = await import('../scripts/build-cli.mjs');
  await buildCli();
}
let cli;
try {
  cli = await import('../dist/flagger-notify.mjs');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('flagger-notify.mjs')) throw err;
  console.error('flagger-notify: dist/flagger-notify.mjs is missing; run `npm run build:cli` first');
  process.exit(2);
}
process.exitCode = await cli.main(
  process.argv.slice(2),
  { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env },
  root,
);
