import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DigestRecord, DigestRecords } from '../rollouts/digest';
import { versionedDocs } from './dynamo';

// A record outlives its period by far: a weekly digest's is read again a week later.
const KEEP_SECONDS = 30 * 24 * 3600;

/** Each destination's digest record (`digest#…` items), versioned: one claim per period wins. */
export function digestRecords(table: string, client: DynamoDBClient, now = () => Date.now()): DigestRecords {
  const docs = versionedDocs(client, table, 'digest record', KEEP_SECONDS, now);
  return {
    get: (key) => docs.get<DigestRecord>(key),
    put: (key, record, version) => docs.put(key, record, version),
  };
}
