import type { IncomingMessage, ServerResponse } from 'node:http';
import { presentedToken, tokenMatches } from '../ingest/auth';
import { signedLink } from '../rollouts/links';

/**
 * What the CLI asks a running npm start for (docs/local.md): a signed fleet link (its link secret
 * is drawn per run unless LINK_SECRET is set, so only npm start can sign) and `digest --now`
 * (its status function runs in-process). Local only: a deployed stage has no such route; the CLI
 * reads its secret from SSM and invokes its status function instead. POST, with npm start's
 * ingest token when it has one.
 */
export async function serveLocalTools(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  o: { env: NodeJS.ProcessEnv; digestNow(): Promise<unknown> },
): Promise<boolean> {
  if (path !== '/local/fleet-link' && path !== '/local/digest') return false;
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  for await (const _ of req) {
    // The body says nothing; read to the end so the connection is reused.
  }
  if (req.method !== 'POST') {
    send(405, {
      error: `${path} takes POST (npx flagger-notify ${path === '/local/digest' ? 'digest --now' : 'link fleet'})`,
    });
    return true;
  }
  // Compared as ingest compares a token (constant time, whatever the lengths).
  const token = o.env.INGEST_TOKEN;
  if (token && !tokenMatches(presentedToken({}, req.headers.authorization), [token])) {
    send(401, { error: 'npm start needs its ingest token (INGEST_TOKEN, or .env in its directory)' });
    return true;
  }
  if (path === '/local/fleet-link') {
    const secret = o.env.LINK_SECRET;
    const base = o.env.PUBLIC_URL;
    if (!secret || !base) send(404, { error: 'rollout pages are off (no LINK_SECRET)' });
    else send(200, { url: signedLink(secret, base, '/fleet') });
    return true;
  }
  try {
    send(200, await o.digestNow());
  } catch (err) {
    send(500, { error: (err as Error).message });
  }
  return true;
}
