import type { Io } from './io';

const TARGET = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/**
 * `flagger-notify gate open|close|status <namespace>/<name>` and `flagger-notify rollback
 * <namespace>/<name>`: the gate endpoints of npm start (default) or of a deployed API (`--url`),
 * with INGEST_TOKEN, recorded in the audit trail as done from the CLI by $USER.
 */
export async function gateCommand(
  argv: { group: string; command?: string; target?: string; url?: string },
  io: Io,
): Promise<number> {
  const action = argv.group === 'rollback' ? 'open' : argv.command;
  const target = argv.group === 'rollback' ? argv.command : argv.target;
  const m = target?.match(TARGET);
  if (!m || (argv.group === 'gate' && !['open', 'close', 'status'].includes(action ?? ''))) {
    io.err(
      'usage: flagger-notify gate open|close|status <namespace>/<name> [--url URL]\n       flagger-notify rollback <namespace>/<name> [--url URL]',
    );
    return 2;
  }
  const base = (argv.url ?? `http://127.0.0.1:${io.env.PORT ?? 3000}`).replace(/\/+$/, '');
  const body = JSON.stringify({ namespace: m[1], name: m[3] });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-flagger-notify-how': 'cli',
    'x-flagger-notify-by': (io.env.USER ?? io.env.USERNAME ?? 'cli').slice(0, 64),
    ...(io.env.INGEST_TOKEN ? { authorization: `Bearer ${io.env.INGEST_TOKEN}` } : {}),
  };
  const call = async (path: string) => {
    const res = await fetch(`${base}${path}`, {
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
        io.out(`${kind}: ${r.status === 200 ? 'open' : 'closed'} for ${m[3]}.${m[1]}`);
      }
      return 0;
    }
    const kind = argv.group === 'rollback' ? 'rollback' : 'gate';
    const r = await call(`/${kind}/${action}`);
    (r.status < 300 ? io.out : io.err)(`${kind} ${action} ${m[3]}.${m[1]}: ${r.status} ${r.text}`);
    return r.status < 300 ? 0 : 1;
  } catch (err) {
    io.err(`cannot reach the gates at ${base}: ${(err as Error).message}`);
    return 1;
  }
}
