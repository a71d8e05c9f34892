import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback stand-in for SSM Parameter Store's GetParameter and GetParameters (JSON 1.1 protocol). */
export async function startFakeSsm(parameters: Record<string, string>) {
  const requests: { target: string; name: string; decrypt: boolean }[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const { Name, Names, WithDecryption } = JSON.parse(body || '{}');
      const target = String(req.headers['x-amz-target']);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (Names) {
        for (const name of Names as string[])
          requests.push({ target, name, decrypt: Boolean(WithDecryption) });
        const known = (Names as string[]).filter((n) => parameters[n] !== undefined);
        return res.end(
          JSON.stringify({
            Parameters: known.map((n) => ({
              Name: n,
              Type: 'SecureString',
              Value: parameters[n],
              Version: 1,
            })),
            InvalidParameters: (Names as string[]).filter((n) => parameters[n] === undefined),
          }),
        );
      }
      requests.push({ target, name: Name, decrypt: Boolean(WithDecryption) });
      const value = parameters[Name];
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
    /** HTTP requests answered (a GetParameters of three names is one). */
    get calls() {
      return calls;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
