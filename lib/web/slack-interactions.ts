import { createHmac, timingSafeEqual } from 'node:crypto';
import { logger } from '../log';
import { own } from '../own';
import { type SlackApi, slackCode } from '../providers/slack-app/api';
import type { GateKind, GateStore } from '../rollouts/gates';
import type { StoryStore } from '../rollouts/story';
import { isEnded } from '../rollouts/tracker';
import { handleGate } from './gates';

/** What an Approve or Roll back button carries: the canary and the rollout it was drawn for. */
export interface GateButton {
  namespace: string;
  name: string;
  rollout: number;
  /** The destination that drew it. */
  d?: string;
  /** The canary's cluster, in a fleet. */
  c?: string;
}

export const GATE_ACTIONS: Record<string, GateKind> = { 'gate-open': 'gate', 'rollback-open': 'rollback' };

// Slack: "verify that the request timestamp is within five minutes of the current time"
// (docs.slack.dev, "Verifying requests from Slack").
const MAX_AGE_SECONDS = 5 * 60;

export type SlackCheck = 'ok' | 'missing' | 'stale' | 'bad-signature';

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)>`, constant time. */
export function verifySlack(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  rawBody: string,
  now = Date.now(),
): SlackCheck {
  if (!timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_AGE_SECONDS)
    return 'stale';
  const want = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`,
  );
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got) ? 'ok' : 'bad-signature';
}

interface Payload {
  type?: string;
  user?: { id?: string; username?: string; name?: string };
  actions?: { action_id?: string; value?: string }[];
  channel?: { id?: string };
  container?: { channel_id?: string; message_ts?: string };
  message?: {
    ts?: string;
    text?: string;
    attachments?: { blocks?: { type?: string; elements?: unknown[] }[] }[];
  };
}

/** A Slack app destination as the endpoint sees it: who may act, and its Web API for the answer. */
export interface SlackDestination {
  /** Slack user ids (U…, W…) and user-group ids (S…); empty: anyone who can see the message. */
  approvers: readonly string[];
  api?: SlackApi;
}

export interface SlackDeps {
  secret: string;
  /** The Slack app destinations, by name: a button names the one that drew it. */
  destinations: Readonly<Record<string, SlackDestination>>;
  /** Remembers a signature; false when it was seen before (a replay). */
  firstSeen(signature: string): Promise<boolean>;
  stories: StoryStore;
  gates: GateStore;
  now?: () => number;
}

const answer = (statusCode: number, body: string) => ({ statusCode, body });

/** Whether the user is an approver: listed, or in a listed user group (usergroups:read). */
async function mayAct(user: string, d: SlackDestination): Promise<true | string> {
  if (!d.approvers.length || d.approvers.includes(user)) return true;
  for (const group of d.approvers.filter((a) => a.startsWith('S'))) {
    if (!d.api)
      return `${user} is not an approver (user group ${group} cannot be read without the bot token)`;
    try {
      const res = await d.api.call<{ users?: string[] }>('usergroups.users.list', { usergroup: group });
      if (res.users?.includes(user)) return true;
    } catch (err) {
      // Closed when in doubt: a group that cannot be read lets nobody in through it.
      return `${user} is not an approver (user group ${group}: ${slackCode(err) ?? (err as Error).name})`;
    }
  }
  return `${user} is not an approver`;
}

/**
 * POST /slack/interactions: a click on Approve or Roll back in the Slack app's live message.
 * Checked in order: Slack's signature and its age, a replay, the payload, the destination and its
 * approvers, and that the rollout the button was drawn for is still the one running; only then
 * the gate opens, as the API opens it (one approval however often clicked), recorded as done by
 * that Slack user, and the message says so (its buttons replaced by who did what, and a thread reply).
 */
export async function handleSlackInteraction(
  headers: Record<string, string | undefined>,
  rawBody: string,
  deps: SlackDeps,
): Promise<{ statusCode: number; body: string }> {
  const now = (deps.now ?? Date.now)();
  const sig = headers['x-slack-signature'];
  const check = verifySlack(deps.secret, headers['x-slack-request-timestamp'], sig, rawBody, now);
  if (check !== 'ok') return answer(401, `request refused: ${check} Slack signature`);
  if (!(await deps.firstSeen(sig as string)))
    return answer(409, 'request refused: already handled (a replay)');
  let payload: Payload;
  try {
    payload = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '');
  } catch {
    return answer(400, 'payload: not a Slack interaction');
  }
  if (!isObject(payload) || !Array.isArray(payload.actions) || !isObject(payload.user))
    return answer(400, 'payload: not a Slack interaction');
  const action = isObject(payload.actions[0]) ? payload.actions[0] : undefined;
  const kind = typeof action?.action_id === 'string' ? own(GATE_ACTIONS, action.action_id) : undefined;
  const user = payload.user?.id;
  if (payload.type !== 'block_actions' || !kind || !user || !/^[UW][A-Z0-9]{2,20}$/.test(user))
    return answer(400, 'payload: not an Approve or Roll back click');
  let button: GateButton;
  try {
    button = JSON.parse(typeof action?.value === 'string' ? action.value : '');
  } catch {
    return answer(400, 'payload: the button carries no rollout');
  }
  if (!isObject(button) || typeof button.namespace !== 'string' || typeof button.name !== 'string')
    return answer(400, 'payload: the button carries no rollout');
  // Buttons drawn before destinations were named in them belong to the only Slack app destination.
  const names = Object.keys(deps.destinations);
  const dest = own(
    deps.destinations,
    typeof button.d === 'string' ? button.d : names.length === 1 ? names[0] : undefined,
  );
  if (!dest) return answer(409, 'the destination that drew this button is no longer configured');
  const allowed = await mayAct(user, dest);
  if (allowed !== true) return answer(403, allowed);
  const canary = {
    namespace: button.namespace,
    name: button.name,
    ...(button.c ? { cluster: button.c } : {}),
  };
  const story = (await deps.stories.get(canary))?.value;
  if (!story || story.rollout.startedAt !== button.rollout || isEnded(story.rollout)) {
    return answer(409, 'this rollout has ended or another one is running: nothing changed');
  }
  const who = payload.user?.username ?? payload.user?.name ?? user;
  const res = await handleGate(
    kind,
    'open',
    canary,
    { by: `${who} (${user})`.slice(0, 64), how: 'slack' },
    { ...deps, now: () => now },
  );
  if (res.statusCode === 202 && res.body.endsWith(' opened') && dest.api)
    await announce(dest.api, payload, decisionText(kind, user, now));
  return answer(res.statusCode === 202 ? 200 : res.statusCode, res.body);
}

/** "✅ Approved by @ana 14:02": Slack draws the user and the time in each reader's own zone. */
export function decisionText(kind: GateKind, user: string, at: number): string {
  const when = `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${new Date(at).toISOString()}>`;
  return kind === 'gate' ? `✅ Approved by <@${user}> ${when}` : `↩️ Rollback requested by <@${user}> ${when}`;
}

/**
 * The message shows the decision in place of its Approve / Roll back buttons, and a thread reply
 * records it. Best effort within Slack's 3 s: the gate is open whatever happens here, the rollout
 * page's audit trail has it, and a failure is logged.
 */
async function announce(api: SlackApi, p: Payload, text: string): Promise<void> {
  const channel = p.channel?.id ?? p.container?.channel_id;
  const ts = p.message?.ts ?? p.container?.message_ts;
  if (!channel || !ts) return;
  const calls: Promise<unknown>[] = [api.call('chat.postMessage', { channel, thread_ts: ts, text })];
  const attachments = p.message?.attachments;
  if (Array.isArray(attachments) && attachments[0]) {
    const [first, ...rest] = attachments;
    const blocks = (first.blocks ?? [])
      .map((b) =>
        b.type === 'actions'
          ? {
              ...b,
              elements: (b.elements ?? []).filter(
                (e) => !own(GATE_ACTIONS, (e as { action_id?: string }).action_id),
              ),
            }
          : b,
      )
      .filter((b) => b.type !== 'actions' || b.elements?.length);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
    calls.push(
      api.call('chat.update', {
        channel,
        ts,
        text: p.message?.text ?? '',
        attachments: [{ ...first, blocks }, ...rest],
      }),
    );
  }
  for (const r of await Promise.allSettled(calls)) {
    if (r.status === 'rejected')
      logger.warn('could not show the gate decision in Slack', {
        error: slackCode(r.reason) ?? (r.reason as Error).name,
      });
  }
}
