// Messages that read right: what a person sees for the rollout's state, counts, weights and a
// failing webhook's HTML answer.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { rolloutEmbed } from '../../lib/providers/discord/live';
import { present } from '../../lib/providers/presentation';
import { noteMessage, rolloutMessage } from '../../lib/providers/slack-app/message';
import { checks, step } from '../../lib/providers/summary';
import { reduce } from '../../lib/rollouts/tracker';
import { fixtures } from '../helpers/fixtures';

const of = (ns: string, name: string) => fixtures.filter((e) => e.namespace === ns && e.name === name);
const follow = (events: FlaggerEvent[]) => {
  let r: ReturnType<typeof reduce>['rollout'] | undefined;
  for (const e of events) r = reduce(r, e).rollout;
  return r as NonNullable<typeof r>;
};
const NGINX_502 =
  '<html><head><title>502 Bad Gateway</title><style>body{font:x}</style></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>' +
  `${'<p>padding</p>'.repeat(3000)}</body></html>`;
const failingHook = (e: FlaggerEvent): FlaggerEvent => ({
  ...e,
  metadata: {
    ...e.metadata,
    eventType: 'Warning',
    eventMessage: `Pre-rollout check acceptance-test failed ${NGINX_502}`,
  },
});

describe('messages that read right', () => {
  it('says “1 event”, not “1 events”', () => {
    const r = follow(of('test', 'podinfo').slice(0, 1));
    expect(JSON.stringify(rolloutMessage(r, { namespace: 'test', name: 'podinfo' }))).toContain('1 event  ·');
    expect(JSON.stringify(rolloutEmbed(r, undefined, of('test', 'podinfo')[0] as FlaggerEvent))).toContain(
      'flagger-notify · 1 event"',
    );
  });

  it('shows the final weight on promotion, not the last advance before it', () => {
    const r = follow(of('web', 'frontend'));
    expect(r.status).toBe('promoted');
    expect(r.primaryWeight).toBe(50);
    expect(step(r)).toBe('primary weight 100%');
  });

  it('says “none” of checks on a finished rollout, “none yet” while it runs', () => {
    const [start, ...rest] = of('default', 'legacy').concat(of('test', 'podinfo').slice(-1));
    const running = follow([start as FlaggerEvent]);
    expect(checks(running)).toBe('none yet');
    const done = follow([
      start as FlaggerEvent,
      ...rest.map((e) => ({ ...e, name: 'legacy', namespace: 'default' })),
    ]);
    expect(done.status).toBe('promoted');
    expect(checks(done)).toBe('none');
  });

  it('shows the state the message says, not Flagger’s lagging phase', () => {
    const waiting = of('web', 'frontend').find((e) =>
      e.metadata.eventMessage.includes('waiting for approval'),
    );
    expect(waiting?.phase).toBe('Succeeded'); // Flagger's phase still says the last rollout
    expect(present(waiting as FlaggerEvent).state).toBe('Waiting');
  });

  it('names a failing webhook “name (type)” and shows its HTML answer as a few hundred characters of text', () => {
    const [start, second] = of('test', 'podinfo');
    const e = failingHook(second as FlaggerEvent);
    const r = follow([start as FlaggerEvent, e]);
    expect(r.failed.map((c) => c.name)).toEqual(['acceptance-test (pre-rollout)']);
    const p = present(e);
    expect(p.message).toMatch(
      /^Pre-rollout check acceptance-test failed 502 Bad Gateway 502 Bad Gateway nginx padding/,
    );
    expect(p.message).not.toContain('<');
    expect(p.message.length).toBeLessThanOrEqual(500);
    const note = noteMessage({ kind: 'check', text: e.metadata.eventMessage }, r).text;
    expect(note).not.toContain('&lt;html');
    expect(note.length).toBeLessThan(600);
  });
});

describe('the Slack app’s live message while a gate waits', () => {
  it('offers Approve and Roll back behind confirmation dialogs and Reject (which asks why), tied to this rollout, and not otherwise', () => {
    const events = fixtures.filter((e) => e.name === 'frontend');
    const waiting = follow(events.slice(0, 3));
    expect(waiting.status).toBe('waiting');
    const blocks = (
      rolloutMessage(waiting, { namespace: 'web', name: 'frontend' }).attachments[0] as {
        blocks: { type: string; elements?: { action_id?: string; value?: string; confirm?: unknown }[] }[];
      }
    ).blocks;
    const buttons = blocks.find((b) => b.type === 'actions')?.elements ?? [];
    expect(buttons.map((b) => b.action_id)).toEqual(['gate-open', 'gate-reject', 'rollback-open']);
    for (const b of buttons) {
      // Reject's own dialog asks for the reason: a confirmation before it would be a second one.
      if (b.action_id === 'gate-reject') expect(b.confirm).toBeUndefined();
      else expect(b.confirm).toBeDefined();
      expect(JSON.parse(b.value as string)).toEqual({
        namespace: 'web',
        name: 'frontend',
        rollout: waiting.startedAt,
      });
    }
    const done = follow(events);
    expect(JSON.stringify(rolloutMessage(done, { namespace: 'web', name: 'frontend' }))).not.toContain(
      'gate-open',
    );
  });
});
