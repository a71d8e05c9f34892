// `npm start`: the whole pipeline on 127.0.0.1 (see lib/local/pipeline.ts).
import { resolve } from 'node:path';
import { ConfigError } from '../lib/errors';
import { startPipeline } from '../lib/local/pipeline';
import { installPrettyLogs } from '../lib/local/pretty';

// Readable log lines and no EMF metric lines on a laptop, unless asked otherwise.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
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
