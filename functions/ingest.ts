import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadIngestConfig } from '../lib/config';
import { handleIngest } from '../lib/ingest';
import { logger } from '../lib/log';
import { createSqsClient, enqueue } from '../lib/queue';

// Cold start: a bad setting fails here, naming the variable, instead of on the first event.
const config = loadIngestConfig(process.env);
const sqs = createSqsClient(config.sqs);

export const handler = middy(
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const res = await handleIngest(
      {
        method: event.requestContext.http.method,
        headers: event.headers ?? {},
        query: event.queryStringParameters ?? {},
        body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
      },
      { config, enqueue: (c, e, at) => enqueue(sqs, c.queueUrl, c.id, e, at, config.dedup) },
    );
    return {
      statusCode: res.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(res.body),
    };
  },
).use(injectLambdaContext(logger));
