// `flagger-notify link fleet` and `digest --now` against a deployed stage: the link secret and
// API URL from SSM (never printed but as the link's signature), the status function invoked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetArgs, fleetCommand } from '../../lib/ops/fleet-cli';
import { checkLink } from '../../lib/rollouts/links';
import { startFakeSsm } from '../helpers/fake-ssm';

const SECRET = 'stage-link-secret-0123456789abcdef0123456789';
let ssm: Awaited<ReturnType<typeof startFakeSsm>>;
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  ssm = await startFakeSsm({
    '/flagger-notify/prod/link-secret': SECRET,
    '/flagger-notify/prod/api-url': 'https://abc.execute-api.eu-west-1.amazonaws.com',
  });
});
afterAll(async () => ssm.close());

async function run(
  args: FleetArgs,
  invoke?: (fn: string, payload: unknown, region: string) => Promise<unknown>,
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await fleetCommand(
    args,
    {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: { SSM_ENDPOINT: ssm.endpoint, LOCAL_STACK_DIR: '/nonexistent', PORT: '1' },
    },
    invoke ? { invoke } : undefined,
  );
  return { code, out, err };
}

describe('flagger-notify link fleet --stage', () => {
  it('signs the fleet link with the stage’s secret, for its API', async () => {
    const r = await run({ group: 'link', command: 'fleet', stage: 'prod', region: 'eu-west-1' });
    expect(r.code).toBe(0);
    const u = new URL(r.out[0] as string);
    expect(`${u.origin}${u.pathname}`).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/fleet');
    expect(
      checkLink(SECRET, '/fleet', u.searchParams.get('exp') ?? '', u.searchParams.get('sig') ?? ''),
    ).toBe('ok');
    expect(r.out.join('')).not.toContain(SECRET);
  });

  it('names the parameter it could not read, never a value', async () => {
    const r = await run({ group: 'link', command: 'fleet', stage: 'edge', region: 'eu-west-1' });
    expect(r).toEqual({
      code: 1,
      out: [],
      err: ['stage edge: SSM parameter /flagger-notify/edge/link-secret in eu-west-1: not found'],
    });
  });
});

describe('flagger-notify digest --now --stage', () => {
  it('invokes the stage’s status function and says what each digest did', async () => {
    const calls: unknown[] = [];
    const r = await run({ group: 'digest', now: true, stage: 'prod', region: 'eu-west-1' }, async (...a) => {
      calls.push(a);
      return {
        sent: [
          {
            what: 'digest (destination ops)',
            destination: 'ops',
            ok: true,
            title: 'Daily digest (so far) · 2 rollouts: 1 promoted, 1 failed',
          },
          { what: 'digest (route pay)', destination: 'pay', ok: false, error: 'slack webhook answered 404' },
        ],
      };
    });
    expect(calls).toEqual([['flagger-notify-prod-status', { digest: 'now' }, 'eu-west-1']]);
    expect(r.out).toEqual([
      'sent: digest (destination ops) to ops: Daily digest (so far) · 2 rollouts: 1 promoted, 1 failed',
    ]);
    expect(r.err).toEqual(['NOT sent: digest (route pay) to pay: slack webhook answered 404']);
    expect(r.code).toBe(1);
  });

  it('says so when the routing file has no digest, and when the function cannot be invoked', async () => {
    const none = await run({ group: 'digest', now: true, stage: 'prod' }, async () => ({ sent: [] }));
    expect(none.code).toBe(1);
    expect(none.err[0]).toMatch(
      /^no digest is configured: give a destination or route `digest: \{ every: day \}`/,
    );
    const refused = await run({ group: 'digest', now: true, stage: 'prod' }, async () => {
      throw new Error('cannot invoke flagger-notify-prod-status in us-east-1: AccessDeniedException');
    });
    expect(refused).toEqual({
      code: 1,
      out: [],
      err: ['stage prod: cannot invoke flagger-notify-prod-status in us-east-1: AccessDeniedException'],
    });
  });

  it('wants `link fleet` and `digest --now` exactly, and says where npm start was looked for', async () => {
    expect((await run({ group: 'digest' })).code).toBe(2);
    expect((await run({ group: 'link', command: 'rollout' })).code).toBe(2);
    const local = await run({ group: 'link', command: 'fleet' });
    expect(local.code).toBe(1);
    expect(local.err[0]).toMatch(
      /^cannot reach npm start at http:\/\/127\.0\.0\.1:1 \(as PORT \/ SQS_PORT say\)/,
    );
  });
});
