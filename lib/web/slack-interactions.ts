import { createHmac, timingSafeEqual } from 'node:crypto';
import { canaryLabel } from '../event/event';
import { isRecord as isObject, own } from '../own';
import { type SlackApi, slackCode } from '../providers/slack-app/api';
import type { GateStore } from '../rollouts/gates';
import type { StoryStore } from '../rollouts/story';
import { drawnBy, handleGate, oneLine, runningRollout } from './gates';
import {
  announce,
  decisionText,
  GATE_ACTIONS,
  REJECT_VIEW,
  rejectView,
  type SlackMessageRef,
  userEmail,
} from './slack-answers';

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

export { decisionText, GATE_ACTIONS };

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
  trigger_id?: string;
  user?: { id?: string; username?: string; name?: string };
  actions?: { action_id?: string; value?: string }[];
  channel?: { id?: string };
  container?: { channel_id?: string; message_ts?: string };
  message?: { ts?: string; text?: string; attachments?: SlackMessageRef['attachments'] };
  view?: {
    callback_id?: string;
    private_metadata?: string;
    state?: { values?: { reason?: { reason?: { value?: unknown } } } };
  };
}

/** A Slack app destination as the endpoint sees it: who may act, and its Web API for the answer. */
export interface SlackDestination {
  /** Slack user ids (U…, W…) and user-group ids (S…); empty: anyone who can see the message. */
  approvers: readonly string[];
  /** Distinct approvers needed before Approve opens the gate; default 1. */
  minApprovals?: number;
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
  /** How long an approval lasts (APPROVAL_TTL); unset: until its rollout ends. */
  ttlMs?: number;
  now?: () => number;
}

export interface SlackAnswer {
  statusCode: number;
  body: string;
  /** A JSON body (a dialog's `response_action`) rather than text. */
  json?: boolean;
}

const answer = (statusCode: number, body: string): SlackAnswer => ({ statusCode, body });

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

/** The rollout a button was drawn for, read from its value; a string says what is wrong. */
function readButton(value: unknown): GateButton | string {
  let button: GateButton;
  try {
    button = JSON.parse(typeof value === 'string' ? value : '');
  } catch {
    return 'payload: the button carries no rollout';
  }
  if (!isObject(button) || typeof button.namespace !== 'string' || typeof button.name !== 'string')
    return 'payload: the button carries no rollout';
  return button;
}

/** A click or a dialog, after its signature, replay and shape were checked. */
interface Act {
  user: string;
  who: string;
  button: GateButton;
  kind: 'gate' | 'rollback';
  action: 'open' | 'reject';
  message: SlackMessageRef;
  reason?: string;
}

/**
 * The destination and its approvers, and that the rollout the button was drawn for is still the
 * one running: what every click and dialog must pass before anything changes.
 */
async function admit(
  act: Act,
  deps: SlackDeps,
): Promise<
  { dest: SlackDestination; canary: { namespace: string; name: string; cluster?: string } } | SlackAnswer
> {
  const dest = drawnBy(deps.destinations, act.button.d);
  if (!dest) return answer(409, 'the destination that drew this button is no longer configured');
  const allowed = await mayAct(act.user, dest);
  if (allowed !== true) return answer(403, allowed);
  const b = act.button;
  const canary = { namespace: b.namespace, name: b.name, ...(b.c ? { cluster: b.c } : {}) };
  if (!(await runningRollout(deps.stories, canary, b.rollout)))
    return answer(409, 'this rollout has ended or another one is running: nothing changed');
  return { dest, canary };
}

/** Opens, counts or rejects as asked, records who (with their e-mail when the app may read it) and says so in Slack. */
async function decide(act: Act, deps: SlackDeps, now: number): Promise<SlackAnswer> {
  const ok = await admit(act, deps);
  if ('statusCode' in ok) return ok;
  const { dest, canary } = ok;
  const email = await userEmail(dest.api, act.user);
  const res = await handleGate(
    act.kind,
    act.action,
    canary,
    {
      by: `${act.who}${email ? ` <${email}>` : ''} (${act.user})`.slice(0, 128),
      how: 'slack',
      // One person counts once, whether they approve from Slack or (by e-mail) from the page.
      identity: email ?? `slack:${act.user}`,
      ...(act.reason ? { reason: act.reason } : {}),
    },
    {
      ...deps,
      now: () => now,
      rules: { minApprovals: dest.minApprovals ?? 1, ...(deps.ttlMs ? { ttlMs: deps.ttlMs } : {}) },
    },
  );
  const o = res.outcome;
  if (dest.api && o && (o.result === 'opened' || o.result === 'counted' || o.result === 'rejected'))
    await announce(dest.api, act.message, decisionText(o.change, act.user, now), o.result !== 'counted');
  return answer(res.statusCode === 202 ? 200 : res.statusCode, res.body);
}

/**
 * POST /slack/interactions: a click on Approve, Reject or Roll back in the Slack app's live
 * message, or the Reject dialog sent. Checked in order: Slack's signature and its age, a replay,
 * the payload, the destination and its approvers, and that the rollout the button was drawn for is
 * still the one running; only then the gate changes, as the API changes it (one approval however
 * often clicked, counted toward a quorum when the destination asks for one), recorded as done by
 * that Slack user, and the message says so (its buttons replaced by who did what, and a thread reply).
 */
export async function handleSlackInteraction(
  headers: Record<string, string | undefined>,
  rawBody: string,
  deps: SlackDeps,
): Promise<SlackAnswer> {
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
  if (!isObject(payload) || !isObject(payload.user)) return answer(400, 'payload: not a Slack interaction');
  const user = payload.user.id;
  const validUser = typeof user === 'string' && /^[UW][A-Z0-9]{2,20}$/.test(user);
  const who = String(payload.user.username ?? payload.user.name ?? user).slice(0, 64);
  if (payload.type === 'view_submission' && validUser) return rejected(payload, user, who, deps, now);
  if (!Array.isArray(payload.actions)) return answer(400, 'payload: not a Slack interaction');
  const action = isObject(payload.actions[0]) ? payload.actions[0] : undefined;
  const asked = typeof action?.action_id === 'string' ? own(GATE_ACTIONS, action.action_id) : undefined;
  if (payload.type !== 'block_actions' || !asked || !validUser)
    return answer(400, 'payload: not an Approve, Reject or Roll back click');
  const button = readButton(action?.value);
  if (typeof button === 'string') return answer(400, button);
  const message: SlackMessageRef = {
    channel: payload.channel?.id ?? payload.container?.channel_id,
    ts: payload.message?.ts ?? payload.container?.message_ts,
    text: payload.message?.text,
    attachments: payload.message?.attachments,
  };
  const act: Act = { user, who, button, ...asked, message };
  if (asked.action === 'open') return decide(act, deps, now);
  // Reject asks why first: a dialog, whose submission comes back here (view_submission).
  const ok = await admit(act, deps);
  if ('statusCode' in ok) return ok;
  if (!ok.dest.api || typeof payload.trigger_id !== 'string')
    return answer(409, "rejecting from Slack needs the app's bot token (to ask for a reason)");
  const metadata = JSON.stringify({ b: button, ch: message.channel, ts: message.ts });
  try {
    await ok.dest.api.call('views.open', {
      trigger_id: payload.trigger_id,
      view: rejectView(canaryLabel(ok.canary), metadata),
    });
  } catch (err) {
    return answer(502, `could not ask for a reason: ${slackCode(err) ?? (err as Error).name}`);
  }
  return answer(200, '');
}

/**
 * The Reject dialog sent: its reason, and the button and message it was opened from (kept by Slack
 * in the dialog's private metadata, written by us). A refusal is shown in the dialog.
 */
async function rejected(
  p: Payload,
  user: string,
  who: string,
  deps: SlackDeps,
  now: number,
): Promise<SlackAnswer> {
  if (p.view?.callback_id !== REJECT_VIEW) return answer(400, 'payload: not the Reject dialog');
  let meta: { b?: unknown; ch?: unknown; ts?: unknown };
  try {
    meta = JSON.parse(String(p.view.private_metadata ?? ''));
  } catch {
    return answer(400, 'payload: the dialog carries no rollout');
  }
  const button = isObject(meta)
    ? readButton(JSON.stringify(meta.b ?? null))
    : 'payload: the dialog carries no rollout';
  if (typeof button === 'string') return answer(400, button);
  const raw = p.view.state?.values?.reason?.reason?.value;
  const reason = oneLine(raw);
  const inDialog = (error: string): SlackAnswer => ({
    statusCode: 200,
    body: JSON.stringify({ response_action: 'errors', errors: { reason: error.slice(0, 150) } }),
    json: true,
  });
  if (!reason) return inDialog('Say why you reject this revision.');
  const res = await decide(
    {
      user,
      who,
      button,
      kind: 'gate',
      action: 'reject',
      reason,
      message: {
        ...(typeof meta.ch === 'string' ? { channel: meta.ch } : {}),
        ...(typeof meta.ts === 'string' ? { ts: meta.ts } : {}),
      },
    },
    deps,
    now,
  );
  return res.statusCode === 200 ? answer(200, '') : inDialog(res.body);
}
