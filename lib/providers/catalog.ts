import { ConfigError } from '../errors';
import { alertmanager } from './alertmanager';
import { discord } from './discord';
import { googlechat } from './googlechat';
import { grafana } from './grafana';
import { mattermost } from './mattermost';
import { pagerduty } from './pagerduty';
import type { Provider } from './provider';
import { rocketchat } from './rocketchat';
import { slack } from './slack';
import { slackApp } from './slack-app';
import { teams } from './teams';
import { teamsBot } from './teams-bot';
import { telegram } from './telegram';
import { webex } from './webex';
import { webhook } from './webhook';

/**
 * Every provider, once. Config, worker start-up, the local pipeline, the DLQ CLI and the
 * deployed queues, functions, roles and alarms (lib/infra) are all made from this list.
 */
export const PROVIDERS = [
  slack,
  slackApp,
  teams,
  teamsBot,
  discord,
  telegram,
  googlechat,
  rocketchat,
  mattermost,
  webex,
  webhook,
  alertmanager,
  pagerduty,
  grafana,
] as const satisfies readonly Provider[];

/**
 * A provider's id as a type: a table keyed by it (`Record<ProviderId, …>`) fails to compile
 * until it has a row for every provider, so adding one cannot leave a table behind.
 */
export type ProviderId = (typeof PROVIDERS)[number]['id'];

export const PROVIDER_IDS: readonly ProviderId[] = PROVIDERS.map((p) => p.id);

export const isProviderId = (id: string): id is ProviderId =>
  (PROVIDER_IDS as readonly string[]).includes(id);

/**
 * `CHANNELS=slack,discord` — a deploy's providers — read the one way ingest, the status function
 * and the stack builder all read it: unset or blank is undefined, an unknown id a ConfigError.
 */
export function parseChannels(value: string | undefined): Provider[] | undefined {
  if (!value?.trim()) return undefined;
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids) {
    if (!isProviderId(id))
      throw new ConfigError(`CHANNELS: unknown provider "${id}" (known: ${PROVIDER_IDS.join(', ')})`);
  }
  return PROVIDERS.filter((p) => ids.includes(p.id));
}

export function providerById(id: string): Provider | undefined {
  return PROVIDERS.find((p) => p.id === id);
}
