// The bill, from counted requests and AWS list prices: the one table the benchmark and
// docs/cost.md share. Prices are us-east-1 list prices as we last read them (arm64 Lambda,
// on-demand DynamoDB, SQS FIFO, HTTP API); check the pricing pages before relying on them.

/** Dollars per unit. */
export const PRICES = {
  /** API Gateway HTTP API, per request (first 300 M a month): aws.amazon.com/api-gateway/pricing */
  httpApiRequest: 1.0 / 1e6,
  /** Lambda, per request and per GB-second on arm64: aws.amazon.com/lambda/pricing */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  /** SQS FIFO, per request (each 64 KB chunk): aws.amazon.com/sqs/pricing */
  sqsFifoRequest: 0.5 / 1e6,
  /** DynamoDB on-demand, per write (1 KB) and read (4 KB, consistent) unit: aws.amazon.com/dynamodb/pricing */
  writeUnit: 0.625 / 1e6,
  readUnit: 0.125 / 1e6,
  /** CloudWatch Logs ingestion, per GB; a standard alarm a month: aws.amazon.com/cloudwatch/pricing */
  logGb: 0.5,
  alarmMonth: 0.1,
} as const;

/**
 * What the emulators cannot count: how long a deployed function runs. Assumed, and named here so
 * they can be argued with: a platform's webhook answers in ~250 ms from AWS, a DynamoDB call
 * takes ~5 ms, an invocation's own work ~20 ms; functions have 256 MB (serverless.yml); Lambda
 * writes START, END and REPORT lines (~330 bytes) per invocation.
 */
export const MODEL = {
  memoryGb: 0.25,
  invocationMs: 20,
  platformCallMs: 250,
  dynamoCallMs: 5,
  platformLogBytes: 330,
  /** Empty long polls a month by an idle queue's event source mapping (docs/cost.md). */
  idleReceivesPerQueue: 0.65e6,
  /** The status function: every minute, ~30 ms. */
  statusInvocations: 43_200,
  statusMs: 30,
} as const;

/** What a run of `events` Flagger events cost in requests, counted at the emulators. */
export interface Usage {
  events: number;
  sqsRequests: number;
  workerInvocations: number;
  platformCalls: number;
  dynamoRequests: number;
  writeUnits: number;
  readUnits: number;
  /** What the functions logged (JSON lines, metrics), without Lambda's own lines. */
  logBytes: number;
}

/** The bill per million events, by line, and its total. */
export function billPerMillion(u: Usage): { lines: [string, number][]; total: number } {
  const per = (n: number) => (n / u.events) * 1e6;
  const invocations = u.events + u.workerInvocations;
  const seconds =
    (invocations * MODEL.invocationMs +
      u.platformCalls * MODEL.platformCallMs +
      u.dynamoRequests * MODEL.dynamoCallMs) /
    1000;
  const lines: [string, number][] = [
    ['API Gateway', per(u.events) * PRICES.httpApiRequest],
    ['Lambda requests', per(invocations) * PRICES.lambdaRequest],
    ['Lambda compute', per(seconds) * MODEL.memoryGb * PRICES.lambdaGbSecond],
    ['SQS', per(u.sqsRequests) * PRICES.sqsFifoRequest],
    ['DynamoDB', per(u.writeUnits) * PRICES.writeUnit + per(u.readUnits) * PRICES.readUnit],
    ['CloudWatch Logs', (per(u.logBytes + invocations * MODEL.platformLogBytes) / 1e9) * PRICES.logGb],
  ];
  return { lines, total: lines.reduce((a, [, v]) => a + v, 0) };
}

/** A month of a deploy with `providers` queues that receives nothing. */
export function idleMonthly(providers: number): number {
  const polling = providers * MODEL.idleReceivesPerQueue * PRICES.sqsFifoRequest;
  // One alarm on the shared dead-letter queue, one per provider on its oldest message.
  const alarms = (1 + providers) * PRICES.alarmMonth;
  const status =
    MODEL.statusInvocations *
    (PRICES.lambdaRequest + (MODEL.statusMs / 1000) * MODEL.memoryGb * PRICES.lambdaGbSecond);
  return polling + alarms + status;
}
