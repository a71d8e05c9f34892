// `npm start`: the whole pipeline on 127.0.0.1 (see lib/local/pipeline.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

// Local secrets from .env (git-ignored, see .env.example); variables already set win.
if (existsSync('.env')) process.loadEnvFile('.env');

// Readable log lines and no EMF metric lines on a laptop, unless asked otherwise. Set before the
// project's modules load: Powertools reads these once, at import.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { ConfigError } = await import('../lib/errors');
const { startPipeline } = await import('../lib/local/pipeline');
const { installPrettyLogs } = await import('../lib/local/pretty');
const { forgetLocalStack, localStackDir, recordLocalStack } = await import('../lib/ops/local-stack');
if (process.env.LOG_FORMAT !== 'json') installPrettyLogs();

const root = resolve(import.meta.dirname, '..');
// LOCAL_PACKAGED=1: the packaged zips with the template's roles, as a deploy runs them (docs/local.md).
const started: Promise<{ backlog(): Promise<number>; stop(): Promise<void> }> = process.env.LOCAL_PACKAGED
  ? import('../lib/local/packaged/run').then((m) => m.runPackaged(root, process.env, console.log))
  : startPipeline(root).then((p) => {
      // Where it listens, for `npm run demo` and `flagger-notify gate|dlq` run in this directory.
      const dir = localStackDir(process.env);
      recordLocalStack(dir, {
        api: p.ingestUrl.replace(/\/events$/, ''),
        sqs: p.sqsEndpoint,
        pid: process.pid,
      });
      process.once('exit', () => forgetLocalStack(dir, process.pid));
      return p;
    });
started
  .then((p) => {
    // The queues live in this process's memory: say what a stop drops rather than lose it quietly.
    const shutdown = async () => {
      const left = await p.backlog().catch(() => 0);
      console.log(
        left
          ? `[local] stopping: ${left} accepted event${left === 1 ? '' : 's'} not yet delivered ${left === 1 ? 'is' : 'are'} dropped (npm start keeps its queues in memory)`
          : '[local] stopping: nothing left undelivered',
      );
      await p.stop();
      process.exit(0);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  })
  .catch((err) => {
    const known = err instanceof ConfigError || (err as { code?: string }).code === 'EADDRINUSE';
    console.error(`[local] cannot start: ${known ? err.message : (err?.stack ?? err)}`);
    process.exit(1);
  });
