import { SERVICE } from '../infra/names';
import { signedLink } from '../rollouts/links';
import { stageParams } from './gate-cli';
import type { Io } from './io';
import { findLocalStack, localToken, unreachable } from './local-stack';
import type { Sent } from './schedules';

export interface FleetArgs {
  group: 'link' | 'digest';
  command?: string;
  now?: boolean;
  stage?: string;
  region?: string;
}

export interface FleetDeps {
  /** Invokes a deployed function with a JSON payload; returns its JSON result. */
  invoke(functionName: string, payload: unknown, region: string): Promise<unknown>;
}

/** One line per report sent (or not): what, where, and its title or why not. */
function sayDigests(result: unknown, io: Io): number {
  const sent = ((result as { sent?: Sent[] } | undefined)?.sent ?? []) as Sent[];
  if (!sent.length) {
    io.err(
      'no digest is configured: give a destination or route `digest: { every: day }` in the routing file (docs/fleet.md)',
    );
    return 1;
  }
  for (const s of sent)
    (s.ok ? io.out : io.err)(
      `${s.ok ? 'sent' : 'NOT sent'}: ${s.what} to ${s.destination}: ${s.ok ? s.title : s.error}`,
    );
  return sent.every((s) => s.ok) ? 0 : 1;
}

/**
 * `flagger-notify link fleet` prints a signed link to the fleet page; `flagger-notify digest
 * --now` sends every configured digest at once. Against npm start by default (which holds the
 * run's link secret and runs the status function), or a deployed stage (`--stage`): its link
 * secret and API URL from SSM, its status function invoked, with your AWS credentials.
 */
export async function fleetCommand(argv: FleetArgs, io: Io, deps?: FleetDeps): Promise<number> {
  if (
    (argv.group === 'link' && argv.command !== 'fleet') ||
    (argv.group === 'digest' && (!argv.now || argv.command))
  ) {
    io.err(
      'usage: flagger-notify link fleet [--stage S] [--region R]\n       flagger-notify digest --now [--stage S] [--region R]',
    );
    return 2;
  }
  const region = argv.region ?? io.env.AWS_REGION ?? 'us-east-1';
  if (argv.stage && argv.stage !== 'local') {
    try {
      if (argv.group === 'link') {
        const read = stageParams(region, io);
        const secret =
          io.env.LINK_SECRET ||
          (await read(io.env.LINK_SECRET_PARAM || `/${SERVICE}/${argv.stage}/link-secret`));
        const base = io.env.PUBLIC_URL || (await read(`/${SERVICE}/${argv.stage}/api-url`));
        io.out(signedLink(secret, base, '/fleet'));
        return 0;
      }
      const invoke = deps?.invoke ?? (await import('./invoke')).invokeFunction;
      return sayDigests(await invoke(`${SERVICE}-${argv.stage}-status`, { digest: 'now' }, region), io);
    } catch (err) {
      io.err(`stage ${argv.stage}: ${(err as Error).message}`);
      return 1;
    }
  }
  const local = findLocalStack(io.env, io.cwd);
  const token = localToken(io.env, io.cwd);
  const path = argv.group === 'link' ? '/local/fleet-link' : '/local/digest';
  let res: Response;
  try {
    res = await fetch(`${local.api.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    io.err(unreachable(local, 'api', e.cause?.message ?? e.message));
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { url?: string; error?: string };
  if (!res.ok) {
    io.err(`npm start at ${local.api} answered ${res.status}: ${body.error ?? 'no reason given'}`);
    return 1;
  }
  if (argv.group === 'link') {
    io.out(body.url as string);
    return 0;
  }
  return sayDigests(body, io);
}
