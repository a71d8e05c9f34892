import { postJson } from '../delivery';
import { canaryId, eventTime, extraMetadata, type FlaggerEvent } from '../event';
import { truncate } from '../text';
import type { Channel } from './channel';

// Teams via Workflows renders Adaptive Cards up to 1.4 (DESIGN §4).
const MESSAGE_MAX = 8000;
const FACT_MAX = 500;

export function formatTeams(event: FlaggerEvent): unknown {
  const facts = [
    ['Canary', canaryId(event)],
    ['Phase', event.phase || 'unknown'],
    ['Event type', event.metadata.eventType],
    ['Time', eventTime(event).toISOString()],
    ...extraMetadata(event),
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
  format: formatTeams,
  deliver: (url, payload, { timeoutMs }) => postJson(url, payload, { timeoutMs, label: 'teams' }),
};
