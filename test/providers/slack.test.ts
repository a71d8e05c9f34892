import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { envDestination } from '../../lib/providers/destination';
import { formatSlack, slack } from '../../lib/providers/slack';
import { truncate } from '../../lib/providers/text';
import { base, byMessage, fixtureName, fixtures, withMessage } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { slackLimitViolations } from '../helpers/limits';

type Block = {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text?: string; url?: string }[];
};
type SlackPayload = {
  text: string;
  username?: string;
  icon_emoji?: string;
  channel?: string;
  attachments: { color: string; blocks: Block[] }[];
};

const blocksOf = (p: unknown) => (p as SlackPayload).attachments[0]?.blocks ?? [];
const allText = (p: unknown) =>
  [
    (p as SlackPayload).text,
    ...blocksOf(p).flatMap((b) => [
      b.text?.text ?? '',
      ...(b.fields ?? []).map((f) => f.text),
      ...(b.elements ?? []).map((e) => e.text ?? ''),
    ]),
  ].join('\n');

describe('Slack message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s, within limits',
    (name, e) => {
      const p = formatSlack(e);
      expectGolden(`slack/${name}`, p);
      expect(slackLimitViolations(p as SlackPayload)).toEqual([]);
    },
  );

  it.each([
    ['Promotion completed!', '#2eb886', '✅'],
    ['Canary failed!', '#d40e0d', '❌'],
    ['Rolling back checkout.shop', '#d40e0d', '⏪'],
    ['Halt frontend.web advancement waiting for approval', '#daa038', '⏸️'],
    ['Halt checkout.shop advancement success rate', '#daa038', '⚠️'],
    ['Advance podinfo.test canary weight 20', '#9aa5b1', '⏩'],
  ])('colours "%s" %s with %s', (start, color, emoji) => {
    const p = formatSlack(byMessage(start)) as SlackPayload;
    expect(p.attachments[0]?.color).toBe(color);
    expect(p.text.startsWith(emoji)).toBe(true);
  });

  it('leads with emoji, canary and outcome, then the message, and names the state, type, extras and time', () => {
    const e = fixtures.find((x) => x.metadata.cluster) as FlaggerEvent;
    const p = formatSlack(e) as SlackPayload;
    expect(blocksOf(p)[0]?.text?.text).toBe(
      '⏩ *prod-eu-1 · api.team-a · Progressing*\nAdvance api.team-a canary weight 5',
    );
    const context = blocksOf(p).find((b) => b.type === 'context')?.elements?.[0]?.text ?? '';
    for (const part of [
      'State *Progressing*',
      'Normal',
      'cluster: prod-eu-1',
      'team: a-team',
      'runbook: https://runbooks.example.com/api',
      '<!date^',
    ]) {
      expect(context).toContain(part);
    }
  });

  it('shows canary weight, iteration or primary weight as a progress bar', () => {
    expect(allText(formatSlack(byMessage('Advance podinfo.test canary weight 30')))).toContain(
      '`███░░░░░░░` canary weight 30%',
    );
    expect(allText(formatSlack(byMessage('Advance frontend.web canary iteration 1/10')))).toContain(
      '`█░░░░░░░░░` iteration 1/10',
    );
    expect(allText(formatSlack(byMessage('Advance frontend.web primary weight 50')))).toContain(
      'primary weight 50%',
    );
  });

  it('lists the failing metric against its threshold and the failed-checks count', () => {
    expect(allText(formatSlack(byMessage('Halt checkout.shop advancement request duration')))).toContain(
      '*Metric*\nrequest duration 1.515s (threshold &gt; 500ms)',
    );
    expect(allText(formatSlack(byMessage('Rolling back checkout.shop failed checks')))).toContain(
      '*Failed checks*\n5',
    );
  });

  it('adds a dashboard button with the canary URL-encoded into the template', () => {
    const e = { ...base, name: 'a b&c' };
    const p = formatSlack(e, { dashboardUrl: 'https://grafana.example/d/x?ns={namespace}&app={name}' });
    const actions = blocksOf(p).find((b) => b.type === 'actions');
    expect(actions?.elements?.[0]?.url).toBe('https://grafana.example/d/x?ns=test&app=a%20b%26c');
  });

  it('sets username, icon and channel like Flagger’s slack.user / slack.channel', () => {
    const options = { username: 'flagger', iconEmoji: ':rocket:', channel: '#deploys' };
    expect(formatSlack(base, options)).toMatchObject({
      username: 'flagger',
      icon_emoji: ':rocket:',
      channel: '#deploys',
    });
  });

  it.each([
    [
      { SLACK_ICON_EMOJI: ':a:', SLACK_ICON_URL: 'https://x/i.png' },
      'SLACK_ICON_URL: set an icon emoji or an icon URL, not both',
    ],
    [{ SLACK_ICON_EMOJI: 'rocket' }, 'SLACK_ICON_EMOJI: must look like :rocket:'],
    [{ SLACK_CHANNEL: 'two words' }, 'SLACK_CHANNEL: must be a channel'],
  ])('rejects bad options %o naming the variable', (env, message) => {
    const d = envDestination(slack, { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/x', ...env });
    expect(() => slack.create(d, { deployed: false, extraAllowedHosts: [] })).toThrow(message);
  });

  it('renders mentions, links and entities from the event literally', () => {
    const hostile = '<!channel> <@U123> <https://evil|x> [x](https://evil) &amp; a>b';
    const p = formatSlack({ ...withMessage(hostile, { team: '<!here>' }), name: '<b>' });
    const text = allText(p);
    expect(text).toContain(
      '&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|x&gt; [x](https://evil) &amp;amp; a&gt;b',
    );
    expect(text).toContain('team: &lt;!here&gt;');
    expect(text).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil|<!here>|<b>/);
  });

  it('keeps a 20,000-character message and 40 extra keys inside every limit, with a visible …', () => {
    const extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, '<'.repeat(300)]));
    const p = formatSlack(withMessage('&'.repeat(20_000), extra)) as SlackPayload;
    expect(slackLimitViolations(p)).toEqual([]);
    const first = blocksOf(p)[0]?.text?.text ?? '';
    expect(first.length).toBeLessThanOrEqual(3000);
    expect(first.endsWith('&amp;…')).toBe(true);
    expect(p.text.length).toBeLessThanOrEqual(300);
  });
});

describe('truncate', () => {
  it('never splits a surrogate pair or an escaped entity at the cut', () => {
    const emoji = truncate('ab😀😀😀', 4);
    expect(emoji).toBe('ab…');
    expect(truncate('abc&amp;def', 6)).toBe('abc…');
  });
});
