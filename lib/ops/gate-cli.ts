import { ssmFetcher } from '../aws/secrets';
import { SERVICE } from '../infra/names';
import type { Io } from './io';
import { findLocalStack, localToken, unreachable } from './local-stack';

const TARGET = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

export interface GateArgs {
  group: string;
  command?: string;
  target?: string;
  url?: string;
  stage?: string;
  region?: string;
  /** The canary's cluster, in a fleet. */
  cluster?: string;
}

/**
 * A deployed stage's API and token from SSM, as the stack keeps them: `/<service>/<stage>/api-url`
 * (written by the stack) and the ingest token's SecureString (INGEST_TOKEN_PARAM overrides its
 * name, INGEST_TOKEN its value). The caller's AWS credentials decide whether it may read them.
 */
/**
 * Reads a deployed stage's parameters with the caller's credentials, through the functions' own
 * SSM reader; a missing one or a refusal is an error naming the parameter, never its value.
 */
export function stageParams(region: string, io: Io): (name: string) => Promise<string> {
  const fetch = ssmFetcher(region, io.env.SSM_ENDPOINT);
  return async (name: string) => {
    let value: string | undefined;
    try {
      value = await fetch(name);
    } catch (err) {
      const e = err as Error & { cause?: Error };
      throw new Error(`SSM parameter ${name} in ${region}: ${e.cause?.name ?? e.name}`);
    }
    if (!value) throw new Error(`SSM parameter ${name} in ${region}: not found`);
    return value;
  };
}

async function fromStage(stage: string, region: string, io: Io): Promise<{ base: string; token?: string }> {
  const read = stageParams(region, io);
  const base = await read(`/${SERVICE}/${stage}/api-url`);
  const token =
    io.env.INGEST_TOKEN || (await read(io.env.INGEST_TOKEN_PARAM || `/${SERVICE}/${stage}/ingest-token`));
  return { base, ...(token ? { token } : {}) };
}

/**
 * `flagger-notify gate open|close|status <namespace>/<name>` and `flagger-notify rollback
 * <namespace>/<name>`: the gate endpoints of npm start (default), of a deployed stage (`--stage`,
 * `--region`: its URL and token from SSM) or of any URL (`--url`, INGEST_TOKEN), recorded in the
 * audit trail as done from the CLI by $USER.
 */
export async function gateCommand(argv: GateArgs, io: Io): Promise<number> {
  const action = argv.group === 'rollback' ? 'open' : argv.command;
  const target = argv.group === 'rollback' ? argv.command : argv.target;
  const m = target?.match(TARGET);
  if (!m || (argv.group === 'gate' && !['open', 'close', 'status'].includes(action ?? ''))) {
    io.err(
      'usage: flagger-notify gate open|close|status <namespace>/<name> [--cluster C] [--stage S --region R | --url URL]\n       flagger-notify rollback <namespace>/<name> [--cluster C] [--stage S --region R | --url URL]',
    );
    return 2;
  }
  // npm start's, found as the demo finds it, unless a stage or a URL is named.
  const local = findLocalStack(io.env, io.cwd);
  let base = local.api;
  let token =
    argv.url || (argv.stage && argv.stage !== 'local') ? io.env.INGEST_TOKEN : localToken(io.env, io.cwd);
  try {
    if (argv.url) base = argv.url;
    else if (argv.stage && argv.stage !== 'local') {
      ({ base, token } = await fromStage(argv.stage, argv.region ?? io.env.AWS_REGION ?? 'us-east-1', io));
    }
  } catch (err) {
    io.err(`cannot find the gates of stage ${argv.stage}: ${(err as Error).message}`);
    return 1;
  }
  base = base.replace(/\/+$/, '');
  const where = argv.cluster ? `?cluster=${encodeURIComponent(argv.cluster)}` : '';
  const label = `${argv.cluster ? `${argv.cluster} · ` : ''}${m[3]}.${m[1]}`;
  const body = JSON.stringify({ namespace: m[1], name: m[3] });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-flagger-notify-how': 'cli',
    'x-flagger-notify-by': (io.env.USER ?? io.env.USERNAME ?? 'cli').slice(0, 64),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const call = async (path: string) => {
    const res = await fetch(`${base}${path}${where}`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: await res.text() };
  };
  try {
    if (action === 'status') {
      for (const kind of ['gate', 'rollback']) {
        const r = await call(`/${kind}/check`);
        if (r.status === 401) throw new Error(r.text);
        io.out(`${kind}: ${r.status === 200 ? 'open' : 'closed'} for ${label}`);
      }
      return 0;
    }
    const kind = argv.group === 'rollback' ? 'rollback' : 'gate';
    const r = await call(`/${kind}/${action}`);
    (r.status < 300 ? io.out : io.err)(`${kind} ${action} ${label}: ${r.status} ${r.text}`);
    return r.status < 300 ? 0 : 1;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const cause = e.cause?.message ?? e.message;
    io.err(
      argv.url || (argv.stage && argv.stage !== 'local')
        ? `cannot reach the gates at ${base}: ${cause}`
        : unreachable(local, 'api', cause),
    );
    return 1;
  }
}
