import { describe, expect, it } from 'vitest';
import { formatSlack } from '../../lib/channels/slack';
import type { FlaggerEvent } from '../../lib/event';
import { fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';

type Block = { type: string; text?: { text: string }; elements?: { text: string }[] };
type SlackPayload = { text: string; blocks: Block[] };

const base = fixtures[0] as FlaggerEvent;
const withMessage = (eventMessage: string, extra: Record<string, string> = {}): FlaggerEvent => ({
  ...base,
  metadata: { ...base.metadata, ...extra, eventMessage },
});
const allText = (p: SlackPayload) =>
  [p.text, ...p.blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)])].join(
    '\n',
  );

describe('Slack message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s',
    (name, e) => {
      expectGolden(`slack/${name}`, formatSlack(e));
    },
  );

  it('names the canary, the message, phase, event type and time', () => {
    const p = formatSlack(base) as SlackPayload;
    expect(p.text).toBe('podinfo.test: New revision detected! Scaling up podinfo.test');
    expect(p.blocks[0]?.text?.text).toBe('*podinfo.test*\nNew revision detected! Scaling up podinfo.test');
    const context = p.blocks[1]?.elements?.[0]?.text;
    expect(context).toContain('Phase: *Progressing*');
    expect(context).toContain('Normal');
    expect(context).toContain('<!date^1764115200^{date_short_pretty} {time_secs}|2025-11-26T00:00:00.000Z>');
  });

  it('escapes mentions, links and entities from the event so they render literally', () => {
    const hostile = '<!channel> <@U123> <https://evil|x> &amp; a>b';
    const p = formatSlack({ ...withMessage(hostile, { team: '<!here>' }), name: '<b>' }) as SlackPayload;
    const text = allText(p);
    expect(text).toContain('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|x&gt; &amp;amp; a&gt;b');
    expect(text).toContain('team: &lt;!here&gt;');
    expect(text).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil|<!here>/);
  });

  it('keeps a 20,000-character message inside the section limit with a visible ellipsis', () => {
    const p = formatSlack(withMessage('&'.repeat(20_000))) as SlackPayload;
    const section = p.blocks[0]?.text?.text ?? '';
    expect(section.length).toBeLessThanOrEqual(3000);
    expect(section.endsWith('&amp;…')).toBe(true);
    expect(p.text.length).toBeLessThanOrEqual(300);
  });
});
