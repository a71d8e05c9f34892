import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * dynalite (DynamoDB's API on an in-memory LevelDB) on loopback: `npm start` and the tests run the
 * same DynamoDB code as a deployed stage. It has no TTL API; expiry is CloudFormation's job.
 */
export async function startDynalite(port = 0): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The state table as the stack declares it: one string key `pk`, two sparse indexes. */
export async function ensureStateTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'failing', AttributeType: 'S' },
          { AttributeName: 'fleet', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        // Sparse: only failed rollouts and firing alerts carry `failing` (lib/stores/rollouts.ts).
        GlobalSecondaryIndexes: [
          {
            IndexName: 'failing',
            KeySchema: [
              { AttributeName: 'failing', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          // Sparse: one entry per canary, written when a rollout starts (lib/stores/fleet.ts).
          {
            IndexName: 'fleet',
            KeySchema: [
              { AttributeName: 'fleet', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException) && (err as Error).name !== 'ResourceInUseException')
      throw err;
  }
}
