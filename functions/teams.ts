import { workerHandler } from '../lib/delivery/worker';
import { teams } from '../lib/providers/teams';

// SQS → Teams (see workerHandler for the cold start and lib/worker.ts for delivery).
export const handler = workerHandler(teams);
