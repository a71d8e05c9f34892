import { providerFromEnv } from '../lib/config/config';
import { workerHandler } from '../lib/config/worker';

// SQS → one provider's destinations. Every worker function is this handler; PROVIDER (set per
// function by lib/infra) says which provider it serves. See lib/delivery/worker.ts.
export const handler = workerHandler(providerFromEnv(process.env));
