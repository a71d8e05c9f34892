import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, withOwnLogger } from '../log';
import { flushMetrics } from './metrics';
import { coldStart } from './secrets';

/**
 * The one way ingest, the workers and the status function are composed: their dependencies built
 * once per cold start (secrets read, configuration checked; a failure fails each invocation with
 * its reason, messages stay queued), the Lambda context on every log line, metrics flushed when
 * the invocation ends, answered or not. Each invocation logs through a logger of its own, since
 * `npm start` runs every function in one process.
 */
export function lambdaHandler<D, E, R>(
  init: () => Promise<D>,
  run: (deps: D, event: E, context: Context) => Promise<R>,
): ((event: E, context: Context) => Promise<R>) & { ready: () => Promise<D> } {
  const ready = coldStart(init);
  const composed = middy(async (event: E, context: Context) => run(await ready(), event, context))
    .use(injectLambdaContext(logger))
    .use({ after: () => flushMetrics(), onError: () => flushMetrics() });
  // `ready`: the cold start's outcome, for a local stack that refuses to accept events no
  // function could deliver (lib/local/pipeline.ts).
  return Object.assign((event: E, context: Context) => withOwnLogger(() => composed(event, context)), {
    ready,
  });
}
