import { postJson } from '../delivery';
import { canaryId, eventTime, extraMetadata, type FlaggerEvent } from '../event';
import { truncate } from '../text';
import type { Channel } from './channel';

// Teams via Workflows renders Adaptive Cards up to 1.4 and drops cards over ~28 KB (DESIGN §4):
// 8,000 + 25 × ~550 stays well under it whatever the event carries.
const MESSAGE_MAX = 8000;
const FACT_MAX = 500;
const EXTRA_FACTS_MAX = 25;

function capped(extra: [string, string][]): [string, string][] {
  if (extra.length <= EXTRA_FACTS_MAX) return extra;
  const kept = extra.slice(0, EXTRA_FACTS_MAX - 1);
  return [...kept, ['…', `${extra.length - kept.length} more metadata keys`]];
}

export function formatTeams(event: FlaggerEvent): unknown {
  const facts = [
    ['Canary', canaryId(event)],
    ['Phase', event.phase || 'unknown'],
    ['Event type', event.metadata.eventType],
    ['Time', eventTime(event).toISOString()],
    ...capped(extraMetadata(event)),
  ].map(([title, value]) => ({
    title: truncate(String(title), FACT_MAX),
    value: truncate(String(value), FACT_MAX),
  }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', text: canaryId(event), weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: truncate(event.metadata.eventMessage, MESSAGE_MAX), wrap: true },
            { type: 'FactSet', facts },
          ],
        },
      },
    ],
  };
}

export const teams: Channel = {
  id: 'teams',
  // Teams Workflows: about 4/s and 60 per 30 s (2/s sustained); 2 instances × 1/s = 2/s.
  minIntervalMs: 1000,
  format: formatTeams,
  deliver: (url, payload, { timeoutMs }) => postJson(url, payload, { timeoutMs, label: 'teams' }),
};
