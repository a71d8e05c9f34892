import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GateKind, GateStore } from '../rollouts/gates';
import type { StoryStore } from '../rollouts/story';
import { isEnded } from '../rollouts/tracker';
import { handleGate } from './gates';

/** What an Approve or Roll back button carries: the canary and the rollout it was drawn for. */
export interface GateButton {
  namespace: string;
  name: string;
  rollout: number;
}

export const GATE_ACTIONS: Record<string, GateKind> = { 'gate-open': 'gate', 'rollback-open': 'rollback' };

// Slack: "verify that the request timestamp is within five minutes of the current time"
// (docs.slack.dev, "Verifying requests from Slack").
const MAX_AGE_SECONDS = 5 * 60;

export type SlackCheck = 'ok' | 'missing' | 'stale' | 'bad-signature';

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
}

export interface SlackDeps {
  secret: string;
  /** Slack user ids allowed to act; empty: anyone who can see the message (docs/gates.md). */
  approvers: readonly string[];
  /** Remembers a signature; false when it was seen before (a replay). */
  firstSeen(signature: string): Promise<boolean>;
  stories: StoryStore;
  gates: GateStore;
  now?: () => number;
}

const answer = (statusCode: number, body: string) => ({ statusCode, body });

/**
 * POST /slack/interactions: a click on Approve or Roll back in the Slack app's live message.
 * Checked in order: Slack's signature and its age, a replay, the payload, the approver, and that
 * the rollout the button was drawn for is still the one running; only then the gate opens, as
 * the API opens it (one approval however often clicked), recorded as done by that Slack user.
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
  const action = payload.actions?.[0];
  const kind = action?.action_id ? GATE_ACTIONS[action.action_id] : undefined;
  const user = payload.user?.id;
  if (payload.type !== 'block_actions' || !kind || !user)
    return answer(400, 'payload: not an Approve or Roll back click');
  if (deps.approvers.length && !deps.approvers.includes(user))
    return answer(403, `${user} is not an approver`);
  let button: GateButton;
  try {
    button = JSON.parse(action?.value ?? '');
  } catch {
    return answer(400, 'payload: the button carries no rollout');
  }
  const story = (await deps.stories.get(button.namespace, button.name))?.value;
  if (!story || story.rollout.startedAt !== button.rollout || isEnded(story.rollout)) {
    return answer(409, 'this rollout has ended or another one is running: nothing changed');
  }
  const who = payload.user?.username ?? payload.user?.name ?? user;
  const res = await handleGate(
    kind,
    'open',
    { namespace: button.namespace, name: button.name },
    { by: `${who} (${user})`.slice(0, 64), how: 'slack' },
    { ...deps, now: () => now },
  );
  return answer(res.statusCode === 202 ? 200 : res.statusCode, res.body);
}
