import { logger } from '../log';
import { own } from '../own';
import { type SlackApi, slackCode } from '../providers/slack-app/api';
import { escapeMrkdwn } from '../providers/text';
import type { GateChange, GateKind } from '../rollouts/gates';

/** Slack's button action ids: what each press asks of which gate. */
export const GATE_ACTIONS: Record<string, { kind: GateKind; action: 'open' | 'reject' }> = {
  'gate-open': { kind: 'gate', action: 'open' },
  'rollback-open': { kind: 'rollback', action: 'open' },
  'gate-reject': { kind: 'gate', action: 'reject' },
};

/** The reject dialog's callback id: its submission comes back as a `view_submission`. */
export const REJECT_VIEW = 'gate-reject';

/** Where a decision is shown: the message the button was in. */
export interface SlackMessageRef {
  channel?: string;
  ts?: string;
  text?: string;
  attachments?: { blocks?: { type?: string; elements?: unknown[] }[] }[];
}

const when = (at: number) =>
  `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${new Date(at).toISOString()}>`;

/**
 * "✅ Approved by @ana 14:02": Slack draws the user and the time in each reader's own zone. The
 * reason is the approver's own text: sent as plain words (no mention or link can come from it).
 */
export function decisionText(
  change: Pick<GateChange, 'kind' | 'open' | 'vote' | 'rejected'>,
  user: string,
  at: number,
): string {
  if (change.kind === 'rollback') return `↩️ Rollback requested by <@${user}> ${when(at)}`;
  if (change.rejected !== undefined)
    return `❌ Rejected by <@${user}> ${when(at)}: ${escapeMrkdwn(change.rejected)}`;
  if (change.vote && !change.open)
    return `👍 Approval ${change.vote.n} of ${change.vote.of} by <@${user}> ${when(at)}`;
  return `✅ Approved by <@${user}> ${when(at)}`;
}

/** The dialog that asks why a revision is rejected; it carries the button and the message it came from. */
export function rejectView(canary: string, metadata: string) {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW,
    private_metadata: metadata,
    title: { type: 'plain_text', text: 'Reject this revision' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'plain_text', text: `${canary}'s gate stays closed for this revision.` },
      },
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why?' },
        element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 300 },
      },
    ],
  };
}

/**
 * The decision in the message's thread and, when the gate is decided (not one vote of a quorum),
 * in place of its buttons. Best effort within Slack's 3 s: the gate is as decided whatever happens
 * here, the rollout page's audit trail has it, and a failure is logged.
 */
export async function announce(
  api: SlackApi,
  m: SlackMessageRef,
  text: string,
  replaceButtons: boolean,
): Promise<void> {
  const { channel, ts } = m;
  if (!channel || !ts) return;
  const calls: Promise<unknown>[] = [api.call('chat.postMessage', { channel, thread_ts: ts, text })];
  const attachments = m.attachments;
  if (replaceButtons && Array.isArray(attachments) && attachments[0]) {
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
        text: m.text ?? '',
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

/** The user's e-mail for the audit, when the app may read it (users:read.email); else none. */
export async function userEmail(api: SlackApi | undefined, user: string): Promise<string | undefined> {
  if (!api) return undefined;
  try {
    const res = await api.call<{ user?: { profile?: { email?: unknown } } }>('users.info', { user });
    const email = res.user?.profile?.email;
    return typeof email === 'string' && /^[^\s@<>]{1,64}@[^\s@<>]{1,190}$/.test(email) ? email : undefined;
  } catch (err) {
    // Without the scope the audit names the Slack user only; the decision does not wait on this.
    logger.debug('no e-mail for the Slack user', { error: slackCode(err) ?? (err as Error).name });
    return undefined;
  }
}
