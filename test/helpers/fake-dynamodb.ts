import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Item = Record<string, { S?: string; N?: string }>;

/**
 * A loopback stand-in for DynamoDB's PutItem and DeleteItem (JSON 1.0), evaluating exactly the
 * condition the mute store uses: `attribute_not_exists(pk) OR expiresAt <= :now`.
 */
export async function startFakeDynamo() {
  const items = new Map<string, Item>();
  let failing = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (failing) {
        res.writeHead(500);
        return res.end(
          JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'boom' }),
        );
      }
      if (String(req.headers['x-amz-target']).endsWith('.DeleteItem')) {
        items.delete((JSON.parse(body) as { Key: Item }).Key.pk?.S as string);
        return res.end('{}');
      }
      const r = JSON.parse(body) as { Item: Item; ExpressionAttributeValues: Item };
      const key = r.Item.pk?.S as string;
      const held = items.get(key);
      const now = Number(r.ExpressionAttributeValues[':now']?.N);
      if (held && Number(held.expiresAt?.N) > now) {
        res.writeHead(400);
        return res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
            message: 'The conditional request failed',
          }),
        );
      }
      items.set(key, r.Item);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    items,
    fail: (on: boolean) => {
      failing = on;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
