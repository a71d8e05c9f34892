// Who may press Approve is the destination's own `approvers`: read from the routing file (or
// SLACK_APPROVERS for the zero-config destination), checked as the worker checks its options.
import { describe, expect, it } from 'vitest';
import { slackDestinations } from '../../lib/web/slack-setup';

const CONFIG = `
destinations:
  payments-slack:
    type: slack-app
    token: xoxb-payments
    channel: C0PAYMENTS1
    approvers: [U0ANA, S0ONCALL]
  web-slack:
    type: slack-app
    token: xoxb-web
    channel: C0WEB000001
  teams:
    type: teams
    url: https://example.webhook.office.com/x
`;

describe('the Slack app destinations the interactions endpoint serves', () => {
  it('gives each destination its own approvers (none: anyone who sees the message)', async () => {
    const d = await slackDestinations({ CONFIG });
    expect(Object.keys(d).sort()).toEqual(['payments-slack', 'web-slack']);
    expect(d['payments-slack']?.approvers).toEqual(['U0ANA', 'S0ONCALL']);
    expect(d['web-slack']?.approvers).toEqual([]);
  });

  it('reads SLACK_APPROVERS, comma-separated, for the zero-config destination', async () => {
    const d = await slackDestinations({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APPROVERS: 'U0ANA, S0ONCALL' });
    expect(d['slack-app']?.approvers).toEqual(['U0ANA', 'S0ONCALL']);
  });

  it('refuses an approver that is not a Slack user or group id, naming the field', async () => {
    await expect(
      slackDestinations({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APPROVERS: 'U0ANA,@ana' }),
    ).rejects.toThrow(/SLACK_APPROVERS.*must be Slack user or user-group ids/);
    await expect(
      slackDestinations({ CONFIG: CONFIG.replace('[U0ANA, S0ONCALL]', '[ana@example.com]') }),
    ).rejects.toThrow(/payments-slack.*approvers/);
  });
});
