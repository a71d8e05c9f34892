import { workerHandler } from '../lib/delivery/worker';
import { slack } from '../lib/providers/slack';

// SQS → Slack (see workerHandler for the cold start and lib/worker.ts for delivery).
export const handler = workerHandler(slack);
