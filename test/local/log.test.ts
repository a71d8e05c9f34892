import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { logger, withOwnLogger } from '../../lib/log';
import { captureJsonLines } from '../helpers/stdout';

const lines = captureJsonLines((text) => text.includes('"step"'));

const tick = () => new Promise((r) => setTimeout(r, 1));
/** What a handler does: its Lambda context, a correlation id per record, lines between awaits. */
async function invocation(fn: string, ids: string[]) {
  logger.setLogLevel('INFO');
  logger.addContext({
    functionName: fn,
    awsRequestId: `${fn}-req`,
    invokedFunctionArn: 'arn',
    functionVersion: '1',
    memoryLimitInMB: '256',
  } as unknown as Context);
  for (const id of ids) {
    logger.appendKeys({ correlationId: id });
    await tick();
    logger.info('step', { fn, id });
    await tick();
    logger.removeKeys(['correlationId']);
  }
}

describe('logs of concurrent invocations in one process (npm start)', () => {
  it('name their own function and correlation id, every line', async () => {
    await Promise.all([
      withOwnLogger(() => invocation('ingest', ['i1', 'i2', 'i3', 'i4'])),
      withOwnLogger(() => invocation('slack', ['s1', 's2', 's3', 's4'])),
      withOwnLogger(() => invocation('teams', ['t1', 't2', 't3', 't4'])),
    ]);
    expect(lines).toHaveLength(12);
    for (const l of lines) {
      expect(l.function_name).toBe(l.fn);
      expect(l.correlationId).toBe(l.id);
    }
  });

  it('leave nothing behind for the next invocation that reuses their logger', async () => {
    lines.length = 0;
    await withOwnLogger(async () => {
      logger.appendKeys({ correlationId: 'first', leftover: 'x' });
    });
    await withOwnLogger(async () => {
      logger.info('step', { fn: 'second', id: undefined });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toHaveProperty('correlationId');
    expect(lines[0]).not.toHaveProperty('leftover');
  });
});
