// The emulators, counting what they are asked: fauxqs's requests by operation, and DynamoDB's
// requests and capacity units, read from dynalite's own ConsumedCapacity through a proxy that
// asks every call for it (as the AWS bill counts them: a write per 1 KB, a consistent read per 4 KB).
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from 'fauxqs';
import { startDynalite } from '../lib/local/dynamo';

export interface Counts {
  /** Requests by operation (`sqs:SendMessage`, `dynamodb:PutItem`…); empty receives apart. */
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

export async function countingEmulators(region: string) {
  const counts: Counts = { requests: {}, readUnits: 0, writeUnits: 0 };
  const count = (op: string) => {
    counts.requests[op] = (counts.requests[op] ?? 0) + 1;
  };

  const sqs = buildApp({ logger: false, defaultRegion: region });
  sqs.addHook(
    'onSend',
    async (req: { headers: Record<string, unknown> }, _reply: unknown, payload: unknown) => {
      const target = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      if (target) {
        const empty = target === 'ReceiveMessage' && !String(payload).includes('"Messages"');
        count(`sqs:${target}${empty ? ' (empty)' : ''}`);
      }
      return payload;
    },
  );
  await sqs.listen({ port: 0, host: '127.0.0.1' });
  const sqsEndpoint = `http://127.0.0.1:${(sqs.server.address() as AddressInfo).port}`;

  const dynamo = await startDynalite();
  const target = new URL(dynamo.endpoint);
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '?';
      let body = Buffer.concat(chunks);
      const input = JSON.parse(body.toString() || '{}');
      if (op !== 'CreateTable' && op !== 'DescribeTable') {
        count(`dynamodb:${op}`);
        // By what the item is: once#, rollout#, story#… (the first part of its key).
        const pk: string = input.Item?.pk?.S ?? input.Key?.pk?.S ?? '';
        if (pk) count(`dynamodb.item:${op} ${pk.split('#')[0]}`);
        body = Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' }));
      }
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c) => parts.push(c));
          answer.on('end', () => {
            const raw = Buffer.concat(parts);
            try {
              const json = JSON.parse(raw.toString());
              if (String(json.__type).endsWith('ConditionalCheckFailedException')) {
                // Billed all the same (at least 1 WRU); dynalite reports no capacity for it.
                count(`dynamodb:${op} (condition failed)`);
                const pk: string = input.Item?.pk?.S ?? input.Key?.pk?.S ?? '';
                if (pk) count(`dynamodb.item:${op} ${pk.split('#')[0]} (condition failed)`);
                counts.writeUnits += 1;
              }
              const units = json.ConsumedCapacity?.CapacityUnits ?? 0;
              if (/^(Get|Query|Scan|BatchGet)/.test(op)) counts.readUnits += units;
              else counts.writeUnits += units;
            } catch {}
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(raw);
          });
        },
      );
      out.on('error', (err) => res.destroy(err));
      out.end(body);
    });
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  const dynamoEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  return {
    counts,
    sqsEndpoint,
    dynamoEndpoint,
    reset() {
      counts.requests = {};
      counts.readUnits = 0;
      counts.writeUnits = 0;
    },
    async close() {
      await new Promise<void>((r) => proxy.close(() => r()));
      await dynamo.close();
      await sqs.close();
    },
  };
}
