import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DoctorDeps, doctor } from '../../lib/ops/doctor';

const root = resolve(import.meta.dirname, '../..');
const ingestEnv = {
  STAGE: 'prod',
  CHANNELS: 'slack',
  SLACK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/flagger-notify-prod-slack.fifo',
  INGEST_TOKEN: '',
  INGEST_TOKEN_PARAM: '/flagger-notify/prod/ingest-token',
};
const deps = (over: Partial<DoctorDeps> = {}): DoctorDeps => ({
  functionEnv: async (name) =>
    name.endsWith('-ingest') ? ingestEnv : name.endsWith('-slack') ? undefined : {},
  parameters: async () => ({
    '/flagger-notify/prod/ingest-token': 'a'.repeat(32),
    '/flagger-notify/prod/api-url': 'https://abc.execute-api.eu-west-1.amazonaws.com',
  }),
  alarms: async () => [],
  post: async () => 401,
  ...over,
});

describe('flagger-notify doctor', () => {
  it('says a stage is not deployed when its ingest function does not exist', async () => {
    const r = await doctor('prod', deps({ functionEnv: async () => undefined }), root);
    expect(r.problems).toEqual([
      'flagger-notify-prod-ingest: no such function here; deploy the stage first (npx serverless deploy --stage prod)',
    ]);
  });

  it('names an API that accepts events without a token, and a worker CHANNELS names but the stage lacks', async () => {
    const r = await doctor('prod', deps({ post: async () => 202 }), root);
    expect(r.problems).toEqual([
      'flagger-notify-prod-slack: no such function (CHANNELS names it): redeploy the stage',
      'POST /events without a token answered 202, not 401: anyone could send events',
    ]);
  });

  it('names the parameter a function needs and cannot find, never a value', async () => {
    const r = await doctor('prod', deps({ parameters: async () => ({}) }), root);
    expect(r.problems[1]).toMatch(/^flagger-notify-prod-ingest: .*INGEST_TOKEN/);
    expect(r.problems).toContain(
      'SSM parameter /flagger-notify/prod/api-url: missing (the stack writes it): cannot find the API',
    );
  });

  it('reports an SSM refusal as one problem, by its error’s name', async () => {
    const refused = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    const r = await doctor('prod', deps({ parameters: async () => Promise.reject(refused) }), root);
    expect(r.problems.at(-1)).toBe("SSM: cannot read the stage's parameters: AccessDeniedException");
  });
});
