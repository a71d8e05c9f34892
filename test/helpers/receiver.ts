import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { envDestination } from '../../lib/providers/destination';
import type { Provider } from '../../lib/providers/provider';
import { slack } from '../../lib/providers/slack';
import { teams } from '../../lib/providers/teams';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
  at: number;
}

export type Behaviour = (req: Received, res: ServerResponse, n: number) => void;

export const answer =
  (status: number, body = '', headers: Record<string, string> = {}): Behaviour =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

/** Never answers: the client's deadline must fire. */
export const hang: Behaviour = () => {};

/** Drops the TCP connection without an HTTP answer. */
export const reset: Behaviour = (_req, res) => {
  res.socket?.resetAndDestroy();
};

/**
 * A loopback server playing Slack or Teams. `behave` decides each answer (n counts requests from 1),
 * so a test can script "500 twice, then 200".
 */
export async function startReceiver(behave: Behaviour = answer(200, 'ok')) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r = { path: req.url ?? '', headers: req.headers, body, json, at: Date.now() };
      received.push(r);
      behaviour(r, res, received.length);
    });
  });
  let behaviour = behave;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    setBehaviour: (b: Behaviour) => {
      behaviour = b;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const local = { deployed: false, extraAllowedHosts: [] };

/** A destination of `provider` posting to `url`, as its worker would make it (WorkerConfig.destinations). */
export function destination(
  provider: Provider,
  url: string,
  name = provider.id,
  options: Record<string, string> = {},
) {
  const def = envDestination(provider, {});
  return {
    name,
    sender: provider.create({ ...def, name, options: { ...options, url } }, local),
    events: 'all' as const,
  };
}

/** The default Slack and Teams destinations pointing at one webhook URL. */
export const defaultDestinations = (webhookUrl: string) => ({
  slack: destination(slack, webhookUrl),
  teams: destination(teams, webhookUrl),
});

/** One send through a provider's real sender to a loopback URL: its result, or the error it threw. */
export async function trySend(
  provider: Provider,
  url: string,
  event: Parameters<ReturnType<Provider['create']>['send']>[0],
  options: Record<string, string> = {},
  timeoutMs = 2000,
): Promise<{ ok?: Awaited<ReturnType<ReturnType<Provider['create']>['send']>>; err?: Error }> {
  try {
    return {
      ok: await destination(provider, url, provider.id, options).sender.send(event, {
        timeoutMs,
        messageId: 'm1',
        eventId: 'm1',
        moreInGroup: false,
      }),
    };
  } catch (err) {
    return { err: err as Error };
  }
}
