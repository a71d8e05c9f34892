import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, type RetryableDeliveryError } from '../../lib/errors';
import { inert } from '../../lib/providers/attachments';
import { formatMattermost, mattermost } from '../../lib/providers/mattermost';
import { formatRocketChat, rocketchat } from '../../lib/providers/rocketchat';
import { base, fixtureName, fixtures, withMessage } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { attachmentLimitViolations } from '../helpers/limits';
import { answer, type Receiver, startReceiver, trySend } from '../helpers/receiver';

type Payload = {
  channel?: string;
  attachments: { color: string; title: string; text: string; fields: { value: string }[] }[];
};

describe.each([
  ['rocketchat', formatRocketChat],
  ['mattermost', formatMattermost],
] as const)('%s message', (id, format) => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s, within limits',
    (name, e) => {
      const p = format(e) as Payload;
      expectGolden(`${id}/${name}`, p);
      expect(attachmentLimitViolations(p)).toEqual([]);
    },
  );

  it('neutralises @all, @channel, @here and user mentions, and disguised links', () => {
    const p = format(
      withMessage('@all @channel @here @alice [x](https://evil)', { owner: '@here' }),
    ) as Payload;
    const text = JSON.stringify(p);
    for (const m of ['@all', '@channel', '@here', '@alice']) expect(text).not.toContain(m);
    expect(text).toContain('@\\u200ball'.replace('\\u200b', '\u200b'));
    expect(p.attachments[0]?.text).not.toMatch(/\]\s*\(/);
  });

  it('links the title to the rollout page once, with the dashboard as its own short field', () => {
    const rollout = 'https://notify.example/rollouts/shop/checkout/1?exp=1&sig=x';
    const withBoth = format(
      fixtures[0] as (typeof fixtures)[number],
      { dashboardUrl: 'https://grafana.example/d/x' },
      {
        links: { rollout },
      },
    ) as Payload & { attachments: { title_link?: string; fields: { title: string; value: string }[] }[] };
    const a = withBoth.attachments[0];
    expect(a?.title_link).toBe(rollout);
    expect(JSON.stringify(a)).not.toContain('Open the rollout page');
    expect(a?.fields.filter((f) => f.value.includes(rollout))).toEqual([]);
    expect(a?.fields.at(-1)?.value).toMatch(/^\[Open\]\(https:\/\/grafana\.example\/d\/x/);
  });

  it('sends a channel only when the destination sets one', () => {
    expect(format(base)).not.toHaveProperty('channel');
    expect(format(base, { channel: 'deploys' })).toMatchObject({ channel: 'deploys' });
  });

  it('keeps a 20,000-character message within limits', () => {
    expect(attachmentLimitViolations(format(withMessage('z'.repeat(20_000))) as Payload)).toEqual([]);
  });
});

describe('inert', () => {
  it('leaves e-mail addresses and plain text alone', () => {
    expect(inert('mail ops@example.com at 5')).toBe('mail ops@example.com at 5');
  });
});

describe('Rocket.Chat and Mattermost delivery (loopback)', () => {
  let rx: Receiver | undefined;
  afterEach(async () => {
    await rx?.close();
    rx = undefined;
  });

  it('accepts Rocket.Chat’s {"success":true} and dead-letters {"success":false} with its error', async () => {
    rx = await startReceiver(answer(200, '{"success":true}', { 'content-type': 'application/json' }));
    expect((await trySend(rocketchat, rx.url('/hooks/id/SECRET'), base)).ok?.status).toBe(200);
    rx.setBehaviour(
      answer(200, '{"success":false,"error":"invalid-channel"}', { 'content-type': 'application/json' }),
    );
    const r = await trySend(rocketchat, rx.url('/hooks/id/SECRET'), base);
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toContain('invalid-channel');
  });

  it('dead-letters Rocket.Chat’s 400 for a channel override it does not allow', async () => {
    rx = await startReceiver(
      answer(
        400,
        '{"success":false,"error":"overriding destination channel is disabled for this integration"}',
      ),
    );
    const r = await trySend(rocketchat, rx.url('/hooks/id/SECRET'), base, { channel: '#other' });
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toContain('overriding destination channel is disabled');
    expect((rx.received[0]?.json as Payload | undefined)?.channel).toBe('#other');
  });

  it('retries Rocket.Chat’s 429 with its Retry-After', async () => {
    rx = await startReceiver(answer(429, 'Too Many Requests', { 'retry-after': '30' }));
    const r = await trySend(rocketchat, rx.url('/hooks/id/SECRET'), base);
    expect((r.err as RetryableDeliveryError).retryAfterSeconds).toBe(30);
  });

  it('delivers to Mattermost (200 "ok") and dead-letters its 400 with the AppError message', async () => {
    rx = await startReceiver(answer(200, 'ok', { 'content-type': 'text/plain' }));
    expect((await trySend(mattermost, rx.url('/hooks/abc'), base)).ok?.status).toBe(200);
    rx.setBehaviour(
      answer(400, '{"id":"web.incoming_webhook.channel.app_error","message":"Couldn\'t find the channel."}'),
    );
    const r = await trySend(mattermost, rx.url('/hooks/abc'), base, { channel: 'nope' });
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toContain("Couldn't find the channel.");
  });
});

describe('options that exclude each other', () => {
  it.each([
    [
      mattermost,
      { iconEmoji: 'rocket', iconUrl: 'https://x.example/i.png' },
      'iconUrl',
      'set an icon emoji or an icon URL, not both',
    ],
    [
      rocketchat,
      { emoji: ':rocket:', avatar: 'https://x.example/a.png' },
      'avatar',
      'set an emoji or an avatar, not both',
    ],
  ])('%s refuses both, naming the second', (p, options, field, message) => {
    const r = p.options.safeParse(options);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([[field, message]]);
  });
});
