import { resolve } from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from '../../lib/local/pipeline';
import { fixtureLines } from '../helpers/fixtures';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';

describe('npm start with SQS_ENDPOINT', () => {
  let external: Awaited<ReturnType<typeof startSqs>>;
  let rx: Receiver;
  let pipeline: Pipeline;
  beforeAll(async () => {
    external = await startSqs();
    rx = await startReceiver();
    Object.assign(process.env, {
      PORT: '0',
      SQS_ENDPOINT: external.emulator.endpoint,
      SLACK_WEBHOOK_URL: rx.url('/slack'),
      TEAMS_WEBHOOK_URL: '',
      MIN_INTERVAL_MS: '0',
    });
    pipeline = await startPipeline(resolve(import.meta.dirname, '../..'), { log: () => {} });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await rx?.close();
    await external?.close();
  });

  it('uses the external endpoint instead of starting its own emulator, creating the declared queues there', async () => {
    expect(pipeline.sqsEndpoint).toBe(external.emulator.endpoint);
    for (const name of ['flagger-notify-local-slack.fifo', 'flagger-notify-local-dlq.fifo']) {
      const { QueueUrl } = await external.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      expect(QueueUrl).toContain(name);
    }
  });

  it('delivers through it', async () => {
    const res = await fetch(pipeline.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: fixtureLines[0],
    });
    expect(res.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (!rx.received.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(rx.received.map((r) => r.path)).toEqual(['/slack']);
  });
});
