import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import { envDestination } from '../../lib/providers/destination';
import { discord, formatDiscord } from '../../lib/providers/discord';
import { base, byMessage, fixtureName, fixtures, withMessage } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { discordLimitViolations } from '../helpers/limits';
import { answer, type Receiver, startReceiver, trySend } from '../helpers/receiver';

type Embed = {
  title: string;
  description: string;
  color: number;
  url?: string;
  fields: { name: string; value: string }[];
};
type Payload = { username?: string; embeds: Embed[]; allowed_mentions: { parse: string[] } };
const embedOf = (p: unknown) => (p as Payload).embeds[0] as Embed;

describe('Discord message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s, within Discord’s limits',
    (name, e) => {
      const p = formatDiscord(e);
      expectGolden(`discord/${name}`, p);
      expect(discordLimitViolations(p as Payload)).toEqual([]);
    },
  );

  it.each([
    ['Promotion completed!', 0x2eb886],
    ['Canary failed!', 0xd40e0d],
    ['Halt frontend.web advancement waiting for approval', 0xdaa038],
    ['Advance podinfo.test canary weight 20', 0x9aa5b1],
  ])('colours "%s" by outcome', (start, color) => {
    expect(embedOf(formatDiscord(byMessage(start))).color).toBe(color);
  });

  it('keeps @everyone, @here and role mentions inert and breaks disguised links', () => {
    const p = formatDiscord(withMessage('@everyone @here <@&123> [click](https://evil)', { team: '@here' }));
    expect((p as Payload).allowed_mentions).toEqual({ parse: [] });
    expect(embedOf(p).description).not.toMatch(/\]\s*\(/);
  });

  it('fits a 20,000-character message and 40 metadata keys into 6,000 characters', () => {
    const extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, 'v'.repeat(900)]));
    const p = formatDiscord(withMessage('x'.repeat(20_000), extra)) as Payload;
    expect(discordLimitViolations(p)).toEqual([]);
    // Chat shows the first 500 characters; the generic webhook and dead letters keep the rest.
    expect(embedOf(p).description).toHaveLength(500);
    expect(embedOf(p).description.endsWith('…')).toBe(true);
  });

  it('links the title to the dashboard and sets the webhook’s name and avatar when given', () => {
    const p = formatDiscord(base, {
      dashboardUrl: 'https://grafana.example/d?app={name}',
      username: 'Flagger',
      avatarUrl: 'https://example.com/a.png',
    }) as Payload & { avatar_url?: string };
    expect(embedOf(p).url).toBe('https://grafana.example/d?app=podinfo');
    expect(p).toMatchObject({ username: 'Flagger', avatar_url: 'https://example.com/a.png' });
  });

  it.each([
    [{ DISCORD_USERNAME: 'Discord Bot' }, 'DISCORD_USERNAME: must not contain "discord" or "clyde"'],
    [{ DISCORD_AVATAR_URL: 'http://x/a.png' }, 'DISCORD_AVATAR_URL: must be an https URL'],
  ])('rejects %o naming the variable', (env, message) => {
    const d = envDestination(discord, {
      DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/t',
      ...env,
    });
    expect(() => discord.create(d, { deployed: false, extraAllowedHosts: [] })).toThrow(message);
  });
});

describe('Discord webhook delivery (loopback)', () => {
  let rx: Receiver | undefined;
  afterEach(async () => {
    await rx?.close();
    rx = undefined;
  });
  const SECRET = '/api/webhooks/123/SECRETTOKEN';

  it('posts with wait=true so a refused message is reported, keeping the URL’s own query', async () => {
    rx = await startReceiver(answer(200, '{"id":"1"}', { 'content-type': 'application/json' }));
    const r = await trySend(discord, rx.url(`${SECRET}?thread_id=42`), base);
    expect(r.ok?.status).toBe(200);
    expect(rx.received[0]?.path).toBe(`${SECRET}?thread_id=42&wait=true`);
    expect(embedOf(rx.received[0]?.json).title).toContain('podinfo.test');
  });

  it('waits as long as a 429’s JSON retry_after says, in fractional seconds', async () => {
    rx = await startReceiver(
      answer(429, '{"message":"You are being rate limited.","retry_after":1.5,"global":false}', {
        'content-type': 'application/json',
        'retry-after': '2',
      }),
    );
    const r = await trySend(discord, rx.url(SECRET), base);
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect((r.err as RetryableDeliveryError).retryAfterSeconds).toBe(1.5);
  });

  it('asks for a pause when X-RateLimit-Remaining reaches 0', async () => {
    rx = await startReceiver(
      answer(200, '{"id":"1"}', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.75' }),
    );
    expect((await trySend(discord, rx.url(SECRET), base)).ok).toEqual({ status: 200, waitSeconds: 0.75 });
  });

  it('treats 404 Unknown Webhook as permanent with Discord’s error text, never the token', async () => {
    rx = await startReceiver(answer(404, '{"message":"Unknown Webhook","code":10015}'));
    const r = await trySend(discord, rx.url(SECRET), base);
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toContain('Unknown Webhook');
    expect(r.err?.message).not.toContain('SECRETTOKEN');
  });

  it('retries a 502', async () => {
    rx = await startReceiver(answer(502, 'Bad Gateway'));
    expect((await trySend(discord, rx.url(SECRET), base)).err).toBeInstanceOf(RetryableDeliveryError);
  });
});
