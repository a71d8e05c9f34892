import { teams } from '../lib/channels/teams';
import { workerHandler } from '../lib/worker';

// SQS → Teams (see workerHandler for the cold start and lib/worker.ts for delivery).
export const handler = workerHandler(teams);
