import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSecrets, ssmFetcher } from '../../lib/aws/secrets';
import { ConfigError } from '../../lib/errors';
import { startFakeSsm } from '../helpers/fake-ssm';

const SECRET = 'https://hooks.slack.com/services/T/B/SECRETSECRET';
let ssm: Awaited<ReturnType<typeof startFakeSsm>>;
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  ssm = await startFakeSsm({ '/fn/prod/slack-webhook-url': SECRET, '/fn/prod/empty': '' });
});
afterAll(async () => ssm?.close());

describe('secrets from SSM Parameter Store', () => {
  it('reads X from the SecureString named by X_PARAM, decrypted', async () => {
    const env = await resolveSecrets(
      { SLACK_WEBHOOK_URL_PARAM: '/fn/prod/slack-webhook-url', OTHER: 'kept' },
      [{ name: 'SLACK_WEBHOOK_URL' }],
      ssmFetcher('eu-west-1', ssm.endpoint),
    );
    expect(env).toMatchObject({ SLACK_WEBHOOK_URL: SECRET, OTHER: 'kept' });
    expect(ssm.requests.at(-1)).toEqual({
      target: 'AmazonSSM.GetParameters',
      name: '/fn/prod/slack-webhook-url',
      decrypt: true,
    });
  });

  it('reads a cold start’s secrets in one request, the missing optional ones left unset', async () => {
    const before = ssm.requests.length;
    const calls = ssm.calls;
    const env = await resolveSecrets(
      { A_PARAM: '/fn/prod/slack-webhook-url', B_PARAM: '/fn/prod/none', C_PARAM: '/fn/prod/nothing' },
      [{ name: 'A' }, { name: 'B', optional: true }, { name: 'C', optional: true }],
      ssmFetcher('eu-west-1', ssm.endpoint),
    );
    expect(env).toMatchObject({ A: SECRET });
    expect(env.B).toBeUndefined();
    expect(ssm.requests.slice(before).map((r) => r.name)).toEqual([
      '/fn/prod/slack-webhook-url',
      '/fn/prod/none',
      '/fn/prod/nothing',
    ]);
    expect(ssm.calls - calls).toBe(1);
  });

  it('prefers X from the environment and then asks SSM nothing', async () => {
    const before = ssm.requests.length;
    const env = await resolveSecrets(
      { X: 'local', X_PARAM: '/fn/prod/slack-webhook-url' },
      [{ name: 'X' }],
      ssmFetcher('eu-west-1', ssm.endpoint),
    );
    expect(env.X).toBe('local');
    expect(ssm.requests.length).toBe(before);
  });

  it.each(['/fn/prod/missing', '/fn/prod/empty'])(
    'fails naming the parameter when a required one is %s',
    async (name) => {
      const p = resolveSecrets(
        { INGEST_TOKEN_PARAM: name },
        [{ name: 'INGEST_TOKEN' }],
        ssmFetcher('eu-west-1', ssm.endpoint),
      );
      await expect(p).rejects.toThrow(ConfigError);
      await expect(p).rejects.toThrow(`INGEST_TOKEN_PARAM: SSM parameter ${name} is missing or empty`);
    },
  );

  it('leaves an optional secret unset when its parameter does not exist', async () => {
    const env = await resolveSecrets(
      { INGEST_TOKEN_PREVIOUS_PARAM: '/fn/prod/missing' },
      [{ name: 'INGEST_TOKEN_PREVIOUS', optional: true }],
      ssmFetcher('eu-west-1', ssm.endpoint),
    );
    expect(env.INGEST_TOKEN_PREVIOUS).toBeUndefined();
  });

  it('reports an unreachable SSM by parameter name and error type, never a value', async () => {
    const p = resolveSecrets(
      { X_PARAM: '/fn/prod/slack-webhook-url' },
      [{ name: 'X' }],
      ssmFetcher('eu-west-1', 'http://127.0.0.1:1'),
    );
    await expect(p).rejects.toThrow(
      /^X_PARAM: cannot read SSM parameter \/fn\/prod\/slack-webhook-url: \w+$/,
    );
  });
});
