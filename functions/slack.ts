import type { SQSHandler } from 'aws-lambda';
import { slack } from '../lib/channels/slack';
import { loadWorkerConfig } from '../lib/config';
import { createWorker } from '../lib/worker';

// Cold start: a missing or malformed SLACK_WEBHOOK_URL fails here, naming the variable.
export const handler: SQSHandler = createWorker(slack, loadWorkerConfig(process.env, slack));
