import { postJson } from '../delivery';
import { canaryId, eventTime, extraMetadata, type FlaggerEvent } from '../event';
import { escapeMrkdwn as esc, truncate } from '../text';
import type { Channel } from './channel';

// Slack limits (DESIGN §3): section text 3000, context element text 3000, fallback text kept short.
const SECTION_MAX = 3000;
const CONTEXT_MAX = 2000;
const FALLBACK_MAX = 300;

export function formatSlack(event: FlaggerEvent): unknown {
  const id = esc(canaryId(event));
  const message = esc(event.metadata.eventMessage);
  const when = eventTime(event);
  const seconds = Math.floor(when.getTime() / 1000);
  // The date token renders in each reader's time zone; the text after | is the fallback.
  const time = `<!date^${seconds}^{date_short_pretty} {time_secs}|${when.toISOString()}>`;
  const facts = [
    `Phase: *${esc(event.phase || 'unknown')}*`,
    esc(event.metadata.eventType),
    ...extraMetadata(event).map(([k, v]) => `${esc(k)}: ${esc(v)}`),
    time,
  ];
  return {
    text: truncate(`${id}: ${message}`, FALLBACK_MAX),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${id}*\n${message}`, SECTION_MAX) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(facts.join('  ·  '), CONTEXT_MAX) }] },
    ],
  };
}

export const slack: Channel = {
  id: 'slack',
  // Slack: about 1 message per second per webhook (DESIGN §3); 2 instances × 1 per 2 s = 1/s.
  minIntervalMs: 2000,
  format: formatSlack,
  deliver: (url, payload, { timeoutMs }) => postJson(url, payload, { timeoutMs, label: 'slack' }),
};
