import { commonSettings } from '../config/destinations';
import type { Env } from '../env';
import { slackAppDestination } from '../providers/slack-app';
import { loadRouting } from '../routing/config';
import type { SlackDestination } from './slack-interactions';

// The answer to a click must reach Slack within its 3 s, after the gate is open.
const ANSWER_TIMEOUT_MS = 1500;

/**
 * The Slack app destinations the interactions endpoint serves (the routing file's, or the
 * zero-config one from SLACK_BOT_TOKEN and SLACK_APPROVERS), each with its approvers and Web API.
 */
export async function slackDestinations(env: Env): Promise<Record<string, SlackDestination>> {
  const routing = await loadRouting(env, ['slack-app']);
  // Checked as the worker checks the same destinations: https and known hosts when deployed.
  const common = commonSettings(env);
  const out: Record<string, SlackDestination> = {};
  for (const d of Object.values(routing.destinations)) {
    if (d.type !== 'slack-app' || !d.options.token) continue;
    const { options, api } = slackAppDestination(d, common, () => ANSWER_TIMEOUT_MS);
    out[d.name] = {
      approvers: options.approvers ?? [],
      ...(options.minApprovals ? { minApprovals: options.minApprovals } : {}),
      api,
    };
  }
  return out;
}
