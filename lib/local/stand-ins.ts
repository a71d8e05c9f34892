import { randomUUID } from 'node:crypto';
import type { ProviderId } from '../providers/catalog';

/** How a platform answers a call it accepted: what the inbox and `npm run echo-webhooks` send back. */
export type Answer =
  | { status: number; type?: string; body: (id: string) => string }
  /** A Web API with state (the Slack app): lib/local/slack-api.ts answers. */
  | 'slack-api'
  /** Discord's `?wait=true` answer carries the message id a live message is edited by. */
  | 'discord-message'
  /** The Teams bot's token endpoint, Bot Connector and issuer: lib/local/bot-connector.ts answers. */
  | 'bot-connector';

export interface StandIn {
  /** Zero-config variables pointing the provider at a stand-in served under `base`. */
  env(base: string): Record<string, string>;
  answer: Answer;
}

/** The inbox's own Teams bot and team: the app id every token is for, where the card is posted. */
export const INBOX_TEAMS_APP_ID = '00000000-0000-4000-8000-00000000b07e';
export const INBOX_TEAMS_CONVERSATION = '19:inbox@thread.tacv2';

const at = (variable: string, id: ProviderId) => (base: string) => ({ [variable]: `${base}/${id}` });
const json = (body: (id: string) => unknown) => ({
  status: 200,
  type: 'application/json',
  body: (id: string) => JSON.stringify(body(id)),
});

/**
 * Every provider's stand-in, keyed by provider id: a provider added to the catalog without one
 * here does not compile, so the first zero-config `npm start` can never answer it 404.
 * The answers are each platform's documented success shapes (docs/providers/).
 */
export const STAND_INS: Record<ProviderId, StandIn> = {
  slack: {
    env: at('SLACK_WEBHOOK_URL', 'slack'),
    answer: { status: 200, type: 'text/plain', body: () => 'ok' },
  },
  'slack-app': {
    env: (base) => ({
      SLACK_BOT_TOKEN: 'xoxb-inbox',
      SLACK_CHANNEL_ID: 'C0INBOX0001',
      SLACK_API_URL: `${base}/slack-app`,
    }),
    answer: 'slack-api',
  },
  teams: { env: at('TEAMS_WEBHOOK_URL', 'teams'), answer: { status: 202, body: () => '' } },
  // The Bot Connector at <base>/teams-bot/v3/…, its token endpoint and OpenID issuer beside it.
  'teams-bot': {
    env: (base) => ({
      TEAMS_APP_ID: INBOX_TEAMS_APP_ID,
      TEAMS_APP_PASSWORD: 'inbox-teams-app-password',
      TEAMS_TENANT_ID: 'inbox',
      TEAMS_SERVICE_URL: `${base}/teams-bot`,
      TEAMS_CONVERSATION_ID: INBOX_TEAMS_CONVERSATION,
      TEAMS_TOKEN_URL: `${base}/teams-bot/token`,
      TEAMS_OPENID_URL: `${base}/teams-bot/openid`,
    }),
    answer: 'bot-connector',
  },
  discord: { env: at('DISCORD_WEBHOOK_URL', 'discord'), answer: 'discord-message' },
  googlechat: {
    env: at('GOOGLE_CHAT_WEBHOOK_URL', 'googlechat'),
    answer: json((id) => ({ name: `spaces/inbox/messages/${id || randomUUID()}` })),
  },
  rocketchat: { env: at('ROCKETCHAT_WEBHOOK_URL', 'rocketchat'), answer: json(() => ({ success: true })) },
  mattermost: {
    env: at('MATTERMOST_WEBHOOK_URL', 'mattermost'),
    answer: { status: 200, type: 'text/plain', body: () => 'ok' },
  },
  // TELEGRAM_API_URL is a base URL: calls go to <base>/bot<token>/<method>; the answer carries the
  // message id a live message is edited by (the inbox's own sequence number).
  telegram: {
    env: (base) => ({
      TELEGRAM_BOT_TOKEN: '123456789:inbox-telegram-bot-token-0000000000',
      TELEGRAM_CHAT_ID: '-1001234567890',
      TELEGRAM_API_URL: `${base}/telegram`,
    }),
    answer: json((id) => ({ ok: true, result: { message_id: /^\d+$/.test(id) ? Number(id) : Date.now() } })),
  },
  // WEBEX_API_URL is a base URL: messages go to <base>/v1/messages, answered with the message.
  webex: {
    env: (base) => ({
      WEBEX_TOKEN: 'inbox-webex-bot-token-000000',
      WEBEX_ROOM_ID: 'Y2lzY29zcGFyazovL3VzL1JPT00vaW5ib3g',
      WEBEX_API_URL: `${base}/webex`,
    }),
    answer: json((id) => ({ id: `inbox-${id || randomUUID()}`, roomType: 'group' })),
  },
  webhook: { env: at('WEBHOOK_URL', 'webhook'), answer: { status: 204, body: () => '' } },
  // ALERTMANAGER_URL is a base URL: alerts go to <base>/api/v2/alerts, answered 200.
  alertmanager: { env: at('ALERTMANAGER_URL', 'alertmanager'), answer: { status: 200, body: () => '' } },
  // GRAFANA_URL is Grafana's base URL: regions go to <base>/api/annotations (a create answers its id).
  grafana: {
    env: (base) => ({ GRAFANA_URL: `${base}/grafana`, GRAFANA_TOKEN: 'glsa_inbox_service_account_token' }),
    answer: json((id) => ({ id: /^\d+$/.test(id) ? Number(id) : Date.now(), message: 'Annotation added' })),
  },
  // PagerDuty's Events API answers 202 with the event's dedup key.
  pagerduty: {
    env: (base) => ({
      PAGERDUTY_ROUTING_KEY: 'inboxR0UT1NGKEY00000000000000000',
      PAGERDUTY_URL: `${base}/pagerduty/v2/enqueue`,
    }),
    answer: {
      status: 202,
      type: 'application/json',
      body: () => JSON.stringify({ status: 'success', message: 'Event processed' }),
    },
  },
};
