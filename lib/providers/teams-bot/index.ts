import * as z from 'zod/mini';
import { ConfigError } from '../../errors';
import { canaryRef, type FlaggerEvent } from '../../event/event';
import { plainText } from '../../event/text';
import type { RolloutRecord } from '../../rollouts/state';
import { reduce } from '../../rollouts/tracker';
import { destinationUrl, opt, parseOptions } from '../destination';
import { type LivePlatform, sendLive } from '../live';
import type { CommonSettings, DestinationDef, Provider } from '../provider';
import { LOOK } from '../summary';
import { reportCard } from '../teams';
import { neutralizeMarkdownLinks as safe, truncate } from '../text';
import { cardActivity, rolloutCard } from './card';
import { botToken, connector } from './connector';

/** Where Teams' Bot Connector lives (the service URL an install names) and where tokens come from. */
export const SERVICE_HOSTS = ['smba.trafficmanager.net', '*.teams.microsoft.com'];
export const TOKEN_HOSTS = ['login.microsoftonline.com'];

const list = (v: unknown) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : v;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const teamsBotSchema = z.object({
  appId: opt(z.string().check(z.regex(GUID, 'must be the bot’s Microsoft App ID (a GUID)'))),
  password: opt(z.string().check(z.minLength(8, 'must be the app’s client secret'))),
  tenant: opt(z.string().check(z.regex(/^[\w.-]{1,100}$/, 'must be a tenant id (GUID) or domain'))),
  serviceUrl: opt(z.string()),
  conversation: opt(
    z.string().check(z.regex(/^[^\s]{1,400}$/, 'must be a Teams conversation id such as 19:…@thread.tacv2')),
  ),
  tokenUrl: opt(z.string()),
  // Who may press Approve / Reject / Roll back: Entra object ids or UPNs; unset, anyone in the conversation.
  approvers: opt(
    z.pipe(
      z.transform(list),
      z.array(
        z
          .string()
          .check(
            z.refine((s) => GUID.test(s) || /^[^\s@]+@[^\s@]+$/.test(s), 'must be Entra object ids or UPNs'),
          ),
      ),
    ),
  ),
  minApprovals: opt(
    z.pipe(
      z.transform((v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)),
      z.number().check(z.int(), z.gte(1, 'must be from 1 to 10'), z.lte(10, 'must be from 1 to 10')),
    ),
  ),
});
export type TeamsBotOptions = z.infer<typeof teamsBotSchema>;

/**
 * A Teams bot destination's options, token and connector, checked as its worker checks them (the
 * /teams/messages endpoint answers through the same destination).
 */
export function teamsBotDestination(
  d: DestinationDef,
  common: Pick<CommonSettings, 'deployed' | 'extraAllowedHosts'>,
  timeoutMs: () => number,
) {
  const options = parseOptions(d, teamsBotSchema);
  for (const key of ['password', 'appId', 'serviceUrl', 'conversation'] as const)
    if (!options[key]) throw new ConfigError(`${d.field(key)}: is not set`);
  if (!options.tokenUrl && !options.tenant) throw new ConfigError(`${d.field('tenant')}: is not set`);
  const tokenUrl = destinationUrl(
    {
      ...d,
      options: {
        ...d.options,
        tokenUrl: options.tokenUrl ?? `https://login.microsoftonline.com/${options.tenant}/oauth2/v2.0/token`,
      },
    },
    common,
    TOKEN_HOSTS,
    'tokenUrl',
  ).href;
  const serviceUrl = destinationUrl(d, common, SERVICE_HOSTS, 'serviceUrl').href;
  const token = botToken(
    { appId: options.appId as string, password: options.password as string, tokenUrl },
    timeoutMs,
  );
  return { options, token, api: connector(serviceUrl, options.conversation as string, token, timeoutMs) };
}

/** The Teams side of a live card: post it, update it in place, and reply to it with a failure. */
function teamsPlatform(
  api: ReturnType<typeof connector>,
  destination: string,
  o: { dashboardUrl?: string },
  event: FlaggerEvent,
  rolloutUrl?: string,
): LivePlatform {
  const draw = (r: RolloutRecord) =>
    cardActivity(
      rolloutCard(r.rollout, {
        ...canaryRef(event),
        destination,
        ...(o.dashboardUrl ? { dashboardUrl: o.dashboardUrl } : {}),
        ...(rolloutUrl ? { rolloutUrl } : {}),
      }),
    );
  return {
    // An update notifies nobody: only a failure gets a reply of its own.
    note: (n, r) =>
      n.broadcast
        ? truncate(
            safe(`${n.kind === 'outcome' ? LOOK[r.status].emoji : '⚠️'} ${plainText(n.text, 2000)}`),
            2000,
          )
        : undefined,
    async post(record) {
      return { id: await api.post(draw(record)) };
    },
    async update(record, message) {
      await api.update(message.id, draw(record));
    },
    async reply(message, reply) {
      await api.reply(message.id, { type: 'message', text: reply.text, textFormat: 'plain' });
    },
  };
}

/**
 * Microsoft Teams through a bot (Bot Connector REST API): one live card per rollout, posted once
 * and updated in place as it moves, a failure also as a reply, and Approve / Reject / Roll back
 * (Action.Execute) answered by POST /teams/messages. The Workflows `teams` provider stays for
 * set-ups without a bot.
 */
export const teamsBot: Provider<'teams-bot'> = {
  id: 'teams-bot',
  title: 'Teams bot',
  modes: ['live'],
  env: {
    appId: 'TEAMS_APP_ID',
    password: 'TEAMS_APP_PASSWORD',
    tenant: 'TEAMS_TENANT_ID',
    serviceUrl: 'TEAMS_SERVICE_URL',
    conversation: 'TEAMS_CONVERSATION_ID',
    tokenUrl: 'TEAMS_TOKEN_URL',
    approvers: 'TEAMS_APPROVERS',
    minApprovals: 'TEAMS_MIN_APPROVALS',
  },
  on: 'TEAMS_APP_PASSWORD',
  secrets: ['TEAMS_APP_PASSWORD'],
  options: teamsBotSchema,
  allowedHosts: [...SERVICE_HOSTS, ...TOKEN_HOSTS],
  // The Bot Connector allows a bot about 7 messages a second per conversation and 1,800 an hour
  // ("Rate limiting for bots", learn.microsoft.com): 2 instances × 1 per 2 s stays well inside.
  minIntervalMs: 2000,
  reports: true,
  preview: (event, dashboardUrl) =>
    cardActivity(
      rolloutCard(reduce(undefined, event).rollout, {
        namespace: event.namespace,
        name: event.name,
        ...(dashboardUrl ? { dashboardUrl } : {}),
      }),
    ),
  create(d, common) {
    let timeoutMs = 10_000;
    const { api } = teamsBotDestination(d, common, () => timeoutMs);
    if (!common.store)
      throw new ConfigError(`${d.field('password')}: a Teams bot destination needs STATE_TABLE`);
    const store = common.store;
    return {
      // A new card in the conversation, apart from any rollout's.
      async report(r, ctx) {
        timeoutMs = ctx.timeoutMs;
        await api.post(cardActivity(reportCard(r)));
        return { status: 200, calls: 1 };
      },
      async send(event, ctx) {
        timeoutMs = ctx.timeoutMs;
        const { calls } = await sendLive(
          store,
          d.name,
          teamsPlatform(
            api,
            d.name,
            { ...(common.dashboardUrl ? { dashboardUrl: common.dashboardUrl } : {}) },
            event,
            ctx.links?.rollout,
          ),
          event,
          ctx,
        );
        return { status: 200, calls };
      },
    };
  },
};
