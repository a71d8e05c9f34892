import type { SQSHandler } from 'aws-lambda';
import { teams } from '../lib/channels/teams';
import { loadWorkerConfig } from '../lib/config';
import { createSqsClient } from '../lib/queue';
import { createWorker } from '../lib/worker';

// Cold start: a missing or malformed setting (TEAMS_WEBHOOK_URL, …) fails here, naming the variable.
const config = loadWorkerConfig(process.env, teams);

export const handler: SQSHandler = createWorker(teams, config, createSqsClient(config.sqs, 5000));
