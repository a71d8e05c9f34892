import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackApiStandIn } from '../../lib/local/slack-api';

/** The Slack Web API stand-in on loopback: `url` is what SLACK_API_URL would be. */
export async function startSlackApi() {
  const api = slackApiStandIn();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop() ?? '';
      const out = api.handle(method, JSON.parse(body || '{}'), req.headers.authorization);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(JSON.stringify(out.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    api,
    url: `http://127.0.0.1:${port}/api`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
