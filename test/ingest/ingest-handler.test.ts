import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startDynamo } from '../helpers/dynamo';
import { startFakeSsm } from '../helpers/fake-ssm';
import { startSqs } from '../helpers/sqs';

const sample = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../events/ingest-started.json'), 'utf8'),
) as APIGatewayProxyEventV2;
const ctx = { functionName: 'ingest', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as Context;

/** functions/ingest.ts reads its config at import (cold start), so each case imports it afresh. */
async function loadHandler(env: Record<string, string>) {
  vi.resetModules();
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const mod = await import('../../functions/ingest');
  return (e: APIGatewayProxyEventV2) => mod.handler(e, ctx) as Promise<APIGatewayProxyStructuredResultV2>;
}

let server: Server | undefined;
afterEach(() => {
  vi.unstubAllEnvs();
  server?.close();
  server = undefined;
});

/** A TCP server that accepts and never answers: an SQS endpoint stuck behind a broken network. */
async function blackHole(): Promise<number> {
  server = createServer(() => {});
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('ingest Lambda handler', () => {
  it('fails every invocation naming a bad variable found at cold start', async () => {
    const handler = await loadHandler({ CHANNELS: 'pager' });
    await expect(handler(sample)).rejects.toThrow(/CHANNELS: unknown provider "pager"/);
    await expect(handler(sample)).rejects.toThrow(/CHANNELS/);
  });

  it('reads the token from SSM in a deployed stage and enforces it', async () => {
    const ssm = await startFakeSsm({ '/flagger-notify/prod/ingest-token': 'token-from-ssm-0123456789' });
    try {
      const handler = await loadHandler({
        STAGE: 'prod',
        INGEST_TOKEN: '',
        INGEST_TOKEN_PARAM: '/flagger-notify/prod/ingest-token',
        INGEST_TOKEN_PREVIOUS_PARAM: '/flagger-notify/prod/ingest-token-previous',
        SSM_ENDPOINT: ssm.endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      expect((await handler(sample)).statusCode).toBe(401);
      const withToken = { ...sample, queryStringParameters: { token: 'token-from-ssm-0123456789' } };
      expect((await handler(withToken)).statusCode).toBe(202);
    } finally {
      await ssm.close();
    }
  });

  it('refuses to serve a deployed stage whose token parameter is missing (and has no cluster tokens)', async () => {
    const ssm = await startFakeSsm({});
    try {
      const handler = await loadHandler({
        STAGE: 'prod',
        INGEST_TOKEN_PARAM: '/flagger-notify/prod/ingest-token',
        SSM_ENDPOINT: ssm.endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      await expect(handler(sample)).rejects.toThrow(
        'INGEST_TOKEN: required in a deployed stage (STAGE=prod), unless each cluster has its own (INGEST_CLUSTER_TOKENS)',
      );
    } finally {
      await ssm.close();
    }
  });

  it('decodes a base64 body as API Gateway sends binary-ish payloads', async () => {
    const handler = await loadHandler({ SQS_ENDPOINT: 'http://127.0.0.1:1', CHANNELS: '' });
    const body = Buffer.from(sample.body ?? '').toString('base64');
    const res = await handler({ ...sample, body, isBase64Encoded: true });
    expect(res.statusCode).toBe(202);
    expect(res.headers?.['content-type']).toBe('application/json');
  });

  it('answers 503 when the queue endpoint refuses connections', async () => {
    const handler = await loadHandler({
      SQS_ENDPOINT: 'http://127.0.0.1:1',
      SLACK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/q.fifo',
    });
    const res = await handler(sample);
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body ?? '').error).toContain('slack');
  });

  // Flagger gives the webhook 10 s and never retries: a hung queue must still produce an answer.
  it('answers 503 inside Flagger’s 10 s timeout when the queue endpoint hangs', async () => {
    const port = await blackHole();
    const handler = await loadHandler({
      SQS_ENDPOINT: `http://127.0.0.1:${port}`,
      TEAMS_QUEUE_URL: `http://127.0.0.1:${port}/000000000000/q.fifo`,
    });
    expect((await handler(sample)).statusCode).toBe(503);
  }, 9_500);

  it('shares route mute windows through DynamoDB across cold starts', async () => {
    const db = await startDynamo();
    const sqs = await startSqs();
    try {
      const { QueueUrl } = await sqs.sqs.send(
        new CreateQueueCommand({ QueueName: 'mute-test.fifo', Attributes: { FifoQueue: 'true' } }),
      );
      const dir = mkdtempSync(join(tmpdir(), 'mute-'));
      const file = join(dir, 'routing.yaml');
      writeFileSync(file, 'destinations:\n  a: { type: slack }\nroutes:\n  - mute: 1h\n    to: [a]\n');
      const env = {
        CONFIG_FILE: file,
        SLACK_QUEUE_URL: QueueUrl as string,
        SQS_ENDPOINT: sqs.emulator.endpoint,
        STATE_TABLE: db.table,
        DYNAMODB_ENDPOINT: db.endpoint,
      };
      const first = await loadHandler(env);
      expect(JSON.parse((await first(sample)).body ?? '').destinations).toEqual(['a']);
      const second = await loadHandler(env); // a new instance: only the table remembers
      expect(JSON.parse((await second(sample)).body ?? '')).toMatchObject({
        status: 'filtered',
        destinations: [],
      });
      const { Count } = await db.client.send(new ScanCommand({ TableName: db.table }));
      expect(Count).toBe(1);
    } finally {
      await sqs.close();
      await db.close();
    }
  });

  it('routes by the routing file read from its SSM parameter in a deployed stage', async () => {
    const yaml =
      'destinations:\n  ops: { type: slack, url: "https://hooks.slack.com/x" }\nroutes:\n  - match: { namespace: shop }\n    to: [ops]\n';
    const ssm = await startFakeSsm({
      '/flagger-notify/prod/ingest-token': 'token-from-ssm-0123456789',
      '/flagger-notify/prod/config': yaml,
    });
    const sqs = await startSqs();
    try {
      const { QueueUrl } = await sqs.sqs.send(
        new CreateQueueCommand({ QueueName: 'cfg.fifo', Attributes: { FifoQueue: 'true' } }),
      );
      const handler = await loadHandler({
        STAGE: 'prod',
        INGEST_TOKEN: '',
        INGEST_TOKEN_PARAM: '/flagger-notify/prod/ingest-token',
        INGEST_TOKEN_PREVIOUS_PARAM: '/flagger-notify/prod/ingest-token-previous',
        CONFIG_PARAM: '/flagger-notify/prod/config',
        SSM_ENDPOINT: ssm.endpoint,
        SQS_ENDPOINT: sqs.emulator.endpoint,
        SLACK_QUEUE_URL: QueueUrl as string,
        CHANNELS: 'slack',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      const withToken = (body: string) => ({
        ...sample,
        body,
        queryStringParameters: { token: 'token-from-ssm-0123456789' },
      });
      const shop = JSON.parse(sample.body ?? '{}');
      const res = await handler(withToken(JSON.stringify({ ...shop, namespace: 'shop' })));
      expect(JSON.parse(res.body ?? '')).toEqual({
        status: 'queued',
        providers: ['slack'],
        destinations: ['ops'],
      });
      const other = await handler(withToken(JSON.stringify({ ...shop, namespace: 'elsewhere' })));
      expect(JSON.parse(other.body ?? '').status).toBe('filtered');
    } finally {
      await sqs.close();
      await ssm.close();
    }
  });

  it.each([
    ['differ only in their timestamp (Flagger repeating a halt)', ['1764115200000', '1764115260000'], 2],
    ['are byte-identical (a per-canary webhook’s retry)', ['1764115200000', '1764115200000'], 1],
  ] as const)('queues two events that %s as %i message(s)', async (_, timestamps, count) => {
    const sqs = await startSqs();
    try {
      const { QueueUrl } = await sqs.sqs.send(
        new CreateQueueCommand({ QueueName: `dedup-${count}.fifo`, Attributes: { FifoQueue: 'true' } }),
      );
      const handler = await loadHandler({
        SLACK_QUEUE_URL: QueueUrl as string,
        SQS_ENDPOINT: sqs.emulator.endpoint,
        CHANNELS: 'slack',
      });
      const e = JSON.parse(sample.body ?? '{}');
      for (const ts of timestamps) {
        const res = await handler({
          ...sample,
          body: JSON.stringify({ ...e, metadata: { ...e.metadata, timestamp: ts } }),
        });
        expect(res.statusCode).toBe(202);
      }
      const { Attributes } = await sqs.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(count);
    } finally {
      await sqs.close();
    }
  });
});
