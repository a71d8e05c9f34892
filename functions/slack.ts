import { slack } from '../lib/channels/slack';
import { workerHandler } from '../lib/worker';

// SQS → Slack (see workerHandler for the cold start and lib/worker.ts for delivery).
export const handler = workerHandler(slack);
