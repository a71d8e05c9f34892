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
if (process.env.LOG_FORMAT !== 'json') installPrettyLogs();

startPipeline(resolve(import.meta.dirname, '..'))
  .then((p) => {
    const shutdown = () => {
      console.log('[local] stopping');
      p.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  })
  .catch((err) => {
    const known = err instanceof ConfigError || (err as { code?: string }).code === 'EADDRINUSE';
    console.error(`[local] cannot start: ${known ? err.message : (err?.stack ?? err)}`);
    process.exit(1);
  });
