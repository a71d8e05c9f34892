import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback stand-in for SSM Parameter Store's GetParameter (JSON 1.1 protocol). */
export async function startFakeSsm(parameters: Record<string, string>) {
  const requests: { target: string; name: string; decrypt: boolean }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const { Name, WithDecryption } = JSON.parse(body || '{}');
      requests.push({
        target: String(req.headers['x-amz-target']),
        name: Name,
        decrypt: Boolean(WithDecryption),
      });
      const value = parameters[Name];
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        res.writeHead(400, { 'x-amzn-errortype': 'ParameterNotFound' });
        return res.end(JSON.stringify({ __type: 'ParameterNotFound', message: '' }));
      }
      res.end(JSON.stringify({ Parameter: { Name, Type: 'SecureString', Value: value, Version: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
