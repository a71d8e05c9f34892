import { describe, expect, it } from 'vitest';
import { type BannerFacts, banner } from '../../lib/local/banner';

const facts: BannerFacts = {
  port: 3000,
  tokenRequired: false,
  sqs: { endpoint: 'http://127.0.0.1:9324', embedded: true, queues: 18 },
  state: { endpoint: 'http://127.0.0.1:8000', embedded: true, table: 'flagger-notify-local-state' },
  sending: [],
  standIns: true,
  off: [],
  offReason: '',
  onVariables: ['SLACK_WEBHOOK_URL', 'TEAMS_WEBHOOK_URL'],
};

describe('the npm start banner', () => {
  it('gives the inbox, ingest and SQS URLs and says the queues are in memory', () => {
    const b = banner(facts);
    expect(b).toMatch(/^ {2}inbox +http:\/\/127\.0\.0\.1:3000\/ /m);
    expect(b).toMatch(/^ {2}ingest +http:\/\/127\.0\.0\.1:3000\/events /m);
    expect(b).toMatch(/^ {2}sqs +http:\/\/127\.0\.0\.1:9324 +embedded emulator, 18 queues$/m);
    expect(b).toContain('queues and rollout state live in memory');
    expect(b).toContain('every provider → the inbox’s stand-ins');
  });

  it('names what is configured, by host or destination, and what is off', () => {
    const b = banner({
      ...facts,
      standIns: false,
      tokenRequired: true,
      sending: [
        { id: 'slack', target: 'hooks.slack.com' },
        { id: 'discord', target: 'ops, dev' },
      ],
      off: ['teams'],
      offReason: 'set their webhook URL variables to turn them on',
    });
    expect(b).toContain('slack → hooks.slack.com · discord → ops, dev');
    expect(b).toMatch(/^ {2}off +teams \(set their webhook URL variables to turn them on\)$/m);
    expect(b).toContain("Flagger's eventWebhook (token required)");
  });

  it('says plainly when nothing will be sent', () => {
    const b = banner({ ...facts, standIns: false });
    expect(b).toContain(
      'nothing: events are accepted but go nowhere; set one of SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL',
    );
  });

  it('does not claim memory when SQS and DynamoDB are external', () => {
    const b = banner({
      ...facts,
      sqs: { ...facts.sqs, embedded: false },
      state: { ...facts.state, embedded: false },
    });
    expect(b).not.toContain('in memory');
    expect(b).toContain('your SQS endpoint');
  });
});
