import { afterAll, beforeAll } from 'vitest';
import { ensureStateTable, startDynalite } from '../../lib/local/dynamo';
import { createDynamoClient } from '../../lib/stores/dynamo';

/** dynalite on loopback with the state table created: the DynamoDB the tests talk to. */
export async function startDynamo(table = 'state') {
  const db = await startDynalite();
  const client = createDynamoClient('us-east-1', db.endpoint);
  await ensureStateTable(client, table);
  return {
    ...db,
    table,
    client,
    close: async () => {
      client.destroy();
      await db.close();
    },
  };
}

export type TestDynamo = Awaited<ReturnType<typeof startDynamo>>;

/** One dynalite for the whole file, started before its tests and closed after them. */
export function useDynamo(table?: string): TestDynamo {
  const db = {} as TestDynamo;
  beforeAll(async () => {
    Object.assign(db, await startDynamo(table));
  });
  afterAll(async () => db.close?.());
  return db;
}

/** Counts the client's DynamoDB calls by command (GetItemCommand, PutItemCommand…) from now on. */
export function countCalls(client: TestDynamo['client']): { counts: Record<string, number>; reset(): void } {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => (args) => {
      counts[context.commandName as string] = (counts[context.commandName as string] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return {
    counts,
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
  };
}
