import type { SQSHandler } from 'aws-lambda';
import { teams } from '../lib/channels/teams';
import { loadWorkerConfig } from '../lib/config';
import { createWorker } from '../lib/worker';

// Cold start: a missing or malformed TEAMS_WEBHOOK_URL fails here, naming the variable.
export const handler: SQSHandler = createWorker(teams, loadWorkerConfig(process.env, teams));
