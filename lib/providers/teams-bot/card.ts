import { plainText, plural } from '../../event/text';
import { isEnded, progressOf, type Rollout } from '../../rollouts/tracker';
import { CHAT_MESSAGE_MAX, dashboardLink, progressBar, ROLLOUT_LINK_TITLE } from '../presentation';
import { checks, duration, LOOK, step } from '../summary';
import { readerTime, STYLE } from '../teams';
import { neutralizeMarkdownLinks as safe, truncate } from '../text';

const chat = (s: string) => plainText(s, CHAT_MESSAGE_MAX);

/** The Approve / Reject / Roll back verbs: Action.Execute sends them to POST /teams/messages. */
export const TEAMS_VERBS = {
  'gate-open': 'open',
  'gate-reject': 'reject',
  'rollback-open': 'rollback',
} as const;

/** What a button carries: the canary and the rollout it was drawn for (as the Slack app's do). */
export interface TeamsButton {
  namespace: string;
  name: string;
  rollout: number;
  /** The destination that drew it. */
  d?: string;
  /** The canary's cluster, in a fleet. */
  c?: string;
  /** The card's own rollout-page link (already on the card), so the card Teams redraws keeps it. */
  u?: string;
}

/**
 * The rollout card: one per rollout, redrawn in full on every change (the Bot Connector's update
 * replaces the activity). Event text is plain (no Markdown link can come from it). While a gate
 * waits, Approve, Reject (with the reason typed in the card) and Roll back as Action.Execute;
 * `decided` replaces them with who did what.
 */
export function rolloutCard(
  r: Rollout,
  o: {
    namespace: string;
    name: string;
    cluster?: string;
    destination?: string;
    dashboardUrl?: string;
    rolloutUrl?: string;
    decided?: string;
  },
): Record<string, unknown> {
  const look = LOOK[r.status];
  const progress = progressOf(r);
  const facts: [string, string][] = [
    ['Status', look.label],
    ['Step', step(r)],
    ['Revision', r.revision ?? 'pending'],
    [isEnded(r) ? 'Took' : 'Elapsed', duration((r.endedAt ?? r.updatedAt) - r.startedAt)],
    ['Checks', checks(r)],
    ...(r.gates.length
      ? [
          ['Approval gates', r.gates.map((g) => `${g.passed ? '✓' : '⏸️'} ${g.name}`).join(', ')] as [
            string,
            string,
          ],
        ]
      : []),
  ];
  const body: unknown[] = [
    {
      type: 'Container',
      style: STYLE[look.tone],
      bleed: true,
      items: [
        {
          type: 'TextBlock',
          text: safe(`${look.emoji} ${r.canary} · ${look.label}`),
          weight: 'Bolder',
          size: 'Medium',
          wrap: true,
        },
        { type: 'TextBlock', text: safe(truncate(chat(r.reason ?? r.lastMessage), 2000)), wrap: true },
      ],
    },
    { type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value: safe(truncate(value, 500)) })) },
  ];
  if (progress !== undefined)
    body.push({
      type: 'TextBlock',
      text: `${progressBar(progress)} ${Math.round(progress * 100)}%`,
      fontType: 'Monospace',
    });
  body.push({
    type: 'TextBlock',
    text: `${plural(r.events, 'event')} · started ${readerTime(r.startedAt)}`,
    isSubtle: true,
    size: 'Small',
    wrap: true,
  });
  if (o.decided) body.push({ type: 'TextBlock', text: safe(o.decided), weight: 'Bolder', wrap: true });
  const actions: unknown[] = [];
  const waits = r.status === 'waiting' && r.gates.some((g) => !g.passed);
  if (waits && !o.decided) {
    const button: TeamsButton = {
      namespace: o.namespace,
      name: o.name,
      rollout: r.startedAt,
      ...(o.destination ? { d: o.destination } : {}),
      ...(o.cluster ? { c: o.cluster } : {}),
      ...(o.rolloutUrl ? { u: o.rolloutUrl } : {}),
    };
    body.push({ type: 'Input.Text', id: 'reason', placeholder: 'Reason, to reject', maxLength: 300 });
    actions.push(
      { type: 'Action.Execute', title: 'Approve', verb: 'gate-open', data: button, style: 'positive' },
      {
        type: 'Action.Execute',
        title: 'Reject',
        verb: 'gate-reject',
        data: button,
        associatedInputs: 'auto',
      },
      {
        type: 'Action.Execute',
        title: 'Roll back',
        verb: 'rollback-open',
        data: button,
        style: 'destructive',
      },
    );
  }
  if (o.rolloutUrl) actions.push({ type: 'Action.OpenUrl', title: ROLLOUT_LINK_TITLE, url: o.rolloutUrl });
  const dash = dashboardLink(o.dashboardUrl, { namespace: o.namespace, name: o.name } as Parameters<
    typeof dashboardLink
  >[1]);
  if (dash) actions.push({ type: 'Action.OpenUrl', title: dash.title, url: dash.url });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(actions.length ? { actions } : {}),
  };
}

/** The card as a Bot Framework message activity's attachment. */
export const cardActivity = (card: Record<string, unknown>) => ({
  type: 'message',
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
});
