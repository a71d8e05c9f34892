import type { SQSHandler } from 'aws-lambda';
import { slack } from '../lib/channels/slack';
import { loadWorkerConfig } from '../lib/config';
import { createSqsClient } from '../lib/queue';
import { createWorker } from '../lib/worker';

// Cold start: a missing or malformed setting (SLACK_WEBHOOK_URL, …) fails here, naming the variable.
const config = loadWorkerConfig(process.env, slack);

export const handler: SQSHandler = createWorker(slack, config, createSqsClient(config.sqs, 5000));
