import { plainText, plural } from '../../event/text';
import { isEnded, type Note, progressOf, type Rollout } from '../../rollouts/tracker';
import {
  CHAT_MESSAGE_MAX,
  dashboardLink,
  progressBar,
  ROLLOUT_LINK_TITLE,
  TONE_COLOR,
} from '../presentation';
import { linkButtons } from '../slack';
import { checks, duration, LOOK, step } from '../summary';
import { escapeMrkdwn as esc, truncate } from '../text';

const chat = (s: string) => plainText(s, CHAT_MESSAGE_MAX);

// Block Kit limits (docs.slack.dev, Block Kit reference): 3,000 per section text, 2,000 per field,
// 10 fields; chat.update refuses `text` over 4,000 characters (msg_too_long).
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const TEXT_MAX = 300;

const date = (ms: number) =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;

/**
 * The rollout message: one per rollout, redrawn in full on every change (chat.update keeps
 * nothing that is not sent again). Pure: the same rollout always draws the same message.
 */
export function rolloutMessage(
  r: Rollout,
  options: {
    namespace: string;
    name: string;
    cluster?: string;
    destination?: string;
    /** The destination's template's title for the latest event: the message's summary line. */
    summary?: string;
    dashboardUrl?: string;
    rolloutUrl?: string;
  },
): { text: string; attachments: unknown[] } {
  const look = LOOK[r.status];
  const progress = progressOf(r);
  const fields = [
    ['Status', look.label],
    ['Step', step(r)],
    ['Revision', r.revision ?? 'pending'],
    ['Started', date(r.startedAt)],
    [isEnded(r) ? 'Took' : 'Elapsed', duration((r.endedAt ?? r.updatedAt) - r.startedAt)],
    ['Checks', checks(r)],
    ...(r.gates.length
      ? [['Approval gates', r.gates.map((g) => `${g.passed ? '✓' : '⏸️'} ${g.name}`).join(', ')]]
      : []),
  ];
  const blocks: unknown[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `${look.emoji} *${esc(r.canary)}* · ${look.label}\n${esc(chat(r.reason ?? r.lastMessage))}`,
          SECTION_MAX,
        ),
      },
    },
    {
      type: 'section',
      // Field values are ours or escaped; the date token is the only markup in them.
      fields: fields.map(([k, v]) => ({
        type: 'mrkdwn',
        text: truncate(`*${k}*\n${k === 'Started' ? v : esc(v ?? '')}`, FIELD_MAX),
      })),
    },
  ];
  if (progress !== undefined) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `\`${progressBar(progress)}\` ${Math.round(progress * 100)}%` },
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `Last: ${esc(chat(r.lastMessage))}  ·  ${plural(r.events, 'event')}  ·  ${date(r.updatedAt)}`,
          SECTION_MAX,
        ),
      },
    ],
  });
  // While a gate waits: Approve and Roll back, each behind Slack's confirmation dialog, and Reject,
  // which asks for a reason. A click
  // goes to POST /slack/interactions (docs/gates.md), tied to this rollout by its start.
  if (r.status === 'waiting' && r.gates.some((g) => !g.passed)) {
    // The destination decides who may press them (its `approvers`) and where the answer goes.
    const value = JSON.stringify({
      namespace: options.namespace,
      name: options.name,
      rollout: r.startedAt,
      ...(options.destination ? { d: options.destination } : {}),
      ...(options.cluster ? { c: options.cluster } : {}),
    });
    const confirm = (title: string, text: string, ok: string) => ({
      title: { type: 'plain_text', text: title },
      text: { type: 'plain_text', text },
      confirm: { type: 'plain_text', text: ok },
      deny: { type: 'plain_text', text: 'Cancel' },
    });
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'gate-open',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value,
          confirm: confirm(
            'Approve this rollout?',
            `Opens ${r.canary}'s waiting gate for the rollout running now.`,
            'Approve',
          ),
        },
        // Reject asks why in a dialog (views.open), so it needs no confirmation of its own.
        { type: 'button', action_id: 'gate-reject', text: { type: 'plain_text', text: 'Reject' }, value },
        {
          type: 'button',
          action_id: 'rollback-open',
          style: 'danger',
          text: { type: 'plain_text', text: 'Roll back' },
          value,
          confirm: confirm('Roll back this rollout?', `Signals ${r.canary}'s rollback webhook.`, 'Roll back'),
        },
      ],
    });
  }
  const buttons = linkButtons(
    [
      options.rolloutUrl ? { title: ROLLOUT_LINK_TITLE, url: options.rolloutUrl } : undefined,
      dashboardLink(options.dashboardUrl, { ...options } as Parameters<typeof dashboardLink>[1]),
    ].filter((l): l is { title: string; url: string } => Boolean(l)),
  );
  if (buttons) blocks.push(buttons);
  const text = truncate(options.summary ?? `${look.emoji} ${r.canary}: ${look.label}, ${step(r)}`, TEXT_MAX);
  return { text: esc(text), attachments: [{ color: TONE_COLOR[look.tone], fallback: esc(text), blocks }] };
}

const NOTE: Record<Note['kind'], string> = {
  check: '⚠️ Check failing',
  gate: '⏸️ Waiting for approval',
  outcome: '',
};

/** A thread reply: a line of its own for a failing check, an approval gate or the outcome. */
export function noteMessage(n: { kind: Note['kind']; text: string }, r: Rollout): { text: string } {
  const head = n.kind === 'outcome' ? `${LOOK[r.status].emoji} ${LOOK[r.status].label}` : NOTE[n.kind];
  return { text: truncate(`${head}: ${esc(chat(n.text))}`, 3900) };
}
