import { Logger } from '@aws-lambda-powertools/logger';

// Level from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (Powertools reads both); JSON lines, one per decision.
export const logger = new Logger({ serviceName: 'flagger-notify' });
