import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * One client for the state table. A short deadline: state reads sit on the delivery path and a
 * stuck table must turn into a retry, not a timed-out batch.
 */
export function createDynamoClient(region: string, endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({
    region,
    // A local DynamoDB (dynalite) ignores signatures; sparing users fake credentials is kinder.
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : endpoint
        ? { endpoint }
        : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
  });
}

export const isConditionFailed = (err: unknown) => (err as Error)?.name === 'ConditionalCheckFailedException';
