import * as z from 'zod/mini';
import { commonSettings } from '../config/destinations';
import { type Env, optionalEnv, parseEnv } from '../env';
import { teamsBotDestination } from '../providers/teams-bot';
import { loadRouting } from '../routing/config';
import { BOT_OPENID_URL } from './teams-auth';
import type { TeamsDestination } from './teams-interactions';

// The answer to a press must reach Teams within its timeout, after the gate changed.
const ANSWER_TIMEOUT_MS = 1500;

/**
 * The Teams bot destinations the /teams/messages endpoint serves (the routing file's, or the
 * zero-config one from TEAMS_APP_PASSWORD and TEAMS_APPROVERS), and the app id every token must
 * be for: one bot per stack (Teams sends each press to the bot's one messaging endpoint).
 */
export async function teamsDestinations(
  env: Env,
): Promise<{ appId?: string; destinations: Record<string, TeamsDestination> }> {
  const routing = await loadRouting(env, ['teams-bot']);
  const common = commonSettings(env);
  const destinations: Record<string, TeamsDestination> = {};
  let appId: string | undefined;
  for (const d of Object.values(routing.destinations)) {
    if (d.type !== 'teams-bot' || !d.options.password) continue;
    const { options, api } = teamsBotDestination(d, common, () => ANSWER_TIMEOUT_MS);
    if (appId && options.appId !== appId)
      throw new Error(
        `${d.field('appId')}: every Teams bot destination of a stack must be the same bot (${appId})`,
      );
    appId = options.appId;
    destinations[d.name] = {
      approvers: options.approvers ?? [],
      ...(options.minApprovals ? { minApprovals: options.minApprovals } : {}),
      ...(options.conversation ? { conversation: options.conversation } : {}),
      api,
    };
  }
  return { ...(appId ? { appId } : {}), destinations };
}

const openIdSchema = z.object({
  TEAMS_OPENID_URL: optionalEnv(z.url({ protocol: /^https?$/ })),
});

/** TEAMS_OPENID_URL (tests and npm start: a stand-in issuer); a deployed stage only the Bot Framework's. */
export function teamsOpenIdUrl(env: Env, deployed: boolean): string {
  const url = parseEnv(openIdSchema, env, 'Teams bot').TEAMS_OPENID_URL;
  if (url && deployed && url !== BOT_OPENID_URL)
    throw new Error(`TEAMS_OPENID_URL: a deployed stage trusts only ${BOT_OPENID_URL}`);
  return url ?? BOT_OPENID_URL;
}
