import { canaryLabel } from '../event/event';
import { logger } from '../log';
import { isRecord as isObject, own } from '../own';
import { rolloutCard, type TeamsButton } from '../providers/teams-bot/card';
import type { connector } from '../providers/teams-bot/connector';
import type { GateKind, GateStore } from '../rollouts/gates';
import type { StoryStore } from '../rollouts/story';
import { drawnBy, handleGate, oneLine, runningRollout } from './gates';
import type { TeamsCheck } from './teams-auth';

/** A Teams bot destination as the endpoint sees it: who may act, and its connector. */
export interface TeamsDestination {
  /** Entra object ids and UPNs; empty: anyone in the conversation. */
  approvers: readonly string[];
  minApprovals?: number;
  /** The conversation its cards are posted to: a press from anywhere else is not one of them. */
  conversation?: string;
  api?: Pick<ReturnType<typeof connector>, 'member'>;
}

export interface TeamsDeps {
  verify(authorization: string | undefined, serviceUrl: unknown): Promise<TeamsCheck>;
  destinations: Readonly<Record<string, TeamsDestination>>;
  /** Remembers an activity id; false when it was handled before (a replay). */
  firstSeen(activityId: string): Promise<boolean>;
  stories: StoryStore;
  gates: GateStore;
  ttlMs?: number;
  dashboardUrl?: string;
  now?: () => number;
}

const VERBS: Record<string, { kind: GateKind; action: 'open' | 'reject'; done: string }> = {
  'gate-open': { kind: 'gate', action: 'open', done: '✅ Approved by' },
  'gate-reject': { kind: 'gate', action: 'reject', done: '❌ Rejected by' },
  'rollback-open': { kind: 'rollback', action: 'open', done: '↩️ Rollback requested by' },
};

interface Activity {
  type?: unknown;
  name?: unknown;
  id?: unknown;
  serviceUrl?: unknown;
  from?: { id?: unknown; aadObjectId?: unknown; name?: unknown };
  conversation?: { id?: unknown };
  value?: { action?: { type?: unknown; verb?: unknown; data?: unknown } };
}

export interface TeamsAnswer {
  statusCode: number;
  body: unknown;
}

/** What Teams shows for an Action.Execute: a message, or the card redrawn ("Universal Actions"). */
const message = (text: string): TeamsAnswer => ({
  statusCode: 200,
  body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text },
});

/** Whether the user is an approver: by object id, or by UPN / e-mail read from the conversation. */
async function mayAct(
  d: TeamsDestination,
  from: { id: string; oid: string },
): Promise<{ ok: true; upn?: string } | { ok: false; why: string }> {
  const upns = d.approvers.filter((a) => a.includes('@')).map((a) => a.toLowerCase());
  let upn: string | undefined;
  if (d.api && (upns.length || !d.approvers.length)) {
    try {
      const m = await d.api.member(from.id);
      upn = (m.userPrincipalName ?? m.email)?.toLowerCase();
    } catch (err) {
      logger.warn('could not read the Teams member', { error: (err as Error).name });
    }
  }
  if (
    !d.approvers.length ||
    d.approvers.some((a) => a.toLowerCase() === from.oid.toLowerCase()) ||
    (upn && upns.includes(upn))
  )
    return { ok: true, ...(upn ? { upn } : {}) };
  return { ok: false, why: `${upn ?? from.oid} is not an approver` };
}

/**
 * POST /teams/messages: an Approve, Reject or Roll back press on the bot's card (an invoke of
 * `adaptiveCard/action`). Checked in order: the Bot Framework token (401 otherwise), a replay, the
 * action and its button, the destination and its approvers, and that the rollout it was drawn for
 * still runs; only then the gate changes, as the API changes it, recorded as done in Teams by that
 * user, and the answer is the card redrawn with who did what. Other activities (an install, a
 * message to the bot) are acknowledged and change nothing.
 */
export async function handleTeamsActivity(
  headers: Record<string, string | undefined>,
  rawBody: string,
  deps: TeamsDeps,
): Promise<TeamsAnswer> {
  let a: Activity;
  try {
    a = JSON.parse(rawBody);
  } catch {
    return { statusCode: 400, body: { error: 'body: not a Bot Framework activity' } };
  }
  if (!isObject(a)) return { statusCode: 400, body: { error: 'body: not a Bot Framework activity' } };
  let check: TeamsCheck;
  try {
    check = await deps.verify(headers.authorization, a.serviceUrl);
  } catch (err) {
    logger.error('cannot read the Bot Framework signing keys', { error: (err as Error).message });
    return { statusCode: 503, body: { error: 'cannot check the Bot Framework token now' } };
  }
  if (check !== 'ok')
    return { statusCode: 401, body: { error: `request refused: ${check} Bot Framework token` } };
  if (a.type !== 'invoke' || a.name !== 'adaptiveCard/action') {
    if (a.type === 'conversationUpdate' && isObject(a.conversation))
      // Where the bot was installed: what TEAMS_CONVERSATION_ID and TEAMS_SERVICE_URL should be.
      logger.info('teams bot added to a conversation', {
        conversation: String(a.conversation.id),
        serviceUrl: String(a.serviceUrl),
      });
    return { statusCode: 200, body: {} };
  }
  if (typeof a.id !== 'string' || !(await deps.firstSeen(a.id)))
    return message('Already handled: nothing changed.');
  const action = isObject(a.value) && isObject(a.value.action) ? a.value.action : undefined;
  const verb = typeof action?.verb === 'string' ? own(VERBS, action.verb) : undefined;
  const data = isObject(action?.data)
    ? (action.data as Partial<TeamsButton> & { reason?: unknown })
    : undefined;
  const from = isObject(a.from) ? a.from : undefined;
  if (
    action?.type !== 'Action.Execute' ||
    !verb ||
    !data ||
    typeof data.namespace !== 'string' ||
    typeof data.name !== 'string'
  )
    return { statusCode: 400, body: { error: 'value.action: not an Approve, Reject or Roll back press' } };
  if (typeof from?.id !== 'string' || typeof from.aadObjectId !== 'string')
    return { statusCode: 400, body: { error: 'from: no Teams user' } };
  const dest = drawnBy(deps.destinations, data.d);
  if (!dest) return message('The destination that drew this card is no longer configured: nothing changed.');
  // A channel reply's conversation id carries ";messageid=…" after the channel's own id.
  const where =
    isObject(a.conversation) && typeof a.conversation.id === 'string' ? a.conversation.id.split(';')[0] : '';
  if (dest.conversation && where !== dest.conversation.split(';')[0])
    return message('This card is not from the conversation its destination posts to: nothing changed.');
  const who = await mayAct(dest, { id: from.id, oid: from.aadObjectId });
  if (!who.ok) return message(`${who.why}: nothing changed.`);
  const canary = {
    namespace: data.namespace,
    name: data.name,
    ...(typeof data.c === 'string' ? { cluster: data.c } : {}),
  };
  const story = await runningRollout(deps.stories, canary, data.rollout);
  if (!story) return message('This rollout has ended or another one is running: nothing changed.');
  const reason = oneLine(data.reason);
  if (verb.action === 'reject' && !reason) return message('Type a reason in the card to reject.');
  const name = String(from.name ?? 'someone').slice(0, 64);
  const now = (deps.now ?? Date.now)();
  const res = await handleGate(
    verb.kind,
    verb.action,
    canary,
    {
      by: `${name}${who.upn ? ` <${who.upn}>` : ''} (${from.aadObjectId})`.slice(0, 128),
      how: 'teams',
      identity: who.upn ?? `aad:${from.aadObjectId.toLowerCase()}`,
      ...(reason && verb.action === 'reject' ? { reason } : {}),
    },
    {
      ...deps,
      now: () => now,
      rules: { minApprovals: dest.minApprovals ?? 1, ...(deps.ttlMs ? { ttlMs: deps.ttlMs } : {}) },
    },
  );
  const o = res.outcome;
  if (res.statusCode !== 202 || !o || o.result === 'unchanged') return message(`${res.body}.`);
  logger.info('teams gate press', { canary: canaryLabel(canary), verb: action.verb, result: res.body });
  const decided =
    o.result === 'counted'
      ? undefined
      : `${verb.done} ${name}${o.change.rejected ? `: ${o.change.rejected}` : ''}`;
  const card = rolloutCard(story.rollout, {
    namespace: story.namespace,
    name: story.name,
    ...(story.cluster ? { cluster: story.cluster } : {}),
    ...(typeof data.d === 'string' ? { destination: data.d } : {}),
    ...(deps.dashboardUrl ? { dashboardUrl: deps.dashboardUrl } : {}),
    // The page link the card carried (this endpoint signs none): only a link to a rollout page.
    ...(typeof data.u === 'string' && /^https?:\/\/[^\s]+\/rollouts\//.test(data.u)
      ? { rolloutUrl: data.u }
      : {}),
    ...(decided ? { decided } : {}),
  });
  if (o.result === 'counted')
    (card.body as unknown[]).push({ type: 'TextBlock', text: `👍 ${res.body} (${name})`, wrap: true });
  return {
    statusCode: 200,
    body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card },
  };
}
