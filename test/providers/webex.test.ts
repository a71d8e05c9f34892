// Webex: one markdown message per milestone through the Messages API, with the bot token as a
// header only; its answers classified; every sample event inside 7,439 bytes; hostile text inert.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { envDestination } from '../../lib/providers/destination';
import { formatWebex, webex } from '../../lib/providers/webex';
import { fixtureName, fixtures, withMessage } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { answer, type Receiver, startReceiver } from '../helpers/receiver';

const TOKEN = 'webex-bot-token-SECRET-0123456789';
const ROOM = 'Y2lzY29zcGFyazovL3VzL1JPT00vZmxhZ2dlcg';
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

const sender = (apiUrl: string) =>
  webex.create(envDestination(webex, { WEBEX_TOKEN: TOKEN, WEBEX_ROOM_ID: ROOM, WEBEX_API_URL: apiUrl }), {
    deployed: false,
    extraAllowedHosts: [],
  });
const send = async (apiUrl: string, e: FlaggerEvent = fixtures[0] as FlaggerEvent) => {
  try {
    return {
      ok: await sender(apiUrl).send(e, { timeoutMs: 2000, messageId: 'm', eventId: 'e', moreInGroup: false }),
    };
  } catch (err) {
    return { err: err as Error };
  }
};

describe('Webex message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s, within 7,439 bytes',
    (name, e) => {
      const p = formatWebex(e, { room: ROOM });
      expectGolden(`webex/${name}`, p);
      expect(Buffer.byteLength(p.markdown)).toBeLessThanOrEqual(7439);
      expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(7439);
    },
  );

  it('cuts at the limit: a long multi-byte message and a template’s long text and fields stay ≤ 7,439 bytes', () => {
    const long = withMessage(`Canary failed! ${'ж✓'.repeat(10_000)}`);
    expect(formatWebex(long, { room: ROOM }).markdown).toContain('…');
    const wording = {
      text: 'ж'.repeat(3000),
      fields: Array.from({ length: 20 }, (_, i) => [`field ${i}`, '✓'.repeat(1000)] as [string, string]),
    };
    const p = formatWebex(long, { room: ROOM }, { wording });
    // The message's 4,000-byte and the facts' 2,500-byte budgets cut first, visibly.
    expect(Buffer.byteLength(p.markdown)).toBeLessThanOrEqual(7439);
    expect(p.markdown.split('\n\n')[1]).toMatch(/…$/);
    expect(p.markdown).not.toContain('field 19');
  });

  it('posts to <base>/v1/messages with the token as a Bearer header, the room and the markdown', async () => {
    rx = await startReceiver(answer(200, '{"id":"m1"}', { 'content-type': 'application/json' }));
    expect((await send(rx.url(''))).ok?.status).toBe(200);
    const r = rx.received[0];
    expect(r?.path).toBe('/v1/messages');
    expect(r?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r?.json).toMatchObject({ roomId: ROOM, markdown: expect.stringContaining('podinfo.test') });
  });

  it.each([401, 403, 404])(
    'dead-letters a %i (bad token, not in the room, no such room) at once, naming the host, never the token',
    async (status) => {
      rx = await startReceiver(answer(status, '{"message":"The requested resource could not be found."}'));
      const { err } = await send(rx.url(''));
      expect(err).toBeInstanceOf(PermanentDeliveryError);
      expect(err?.message).toContain('webex API messages (127.0.0.1');
      expect(err?.message).not.toContain(TOKEN);
    },
  );

  it('waits out a 429 for exactly its Retry-After', async () => {
    rx = await startReceiver(answer(429, '', { 'retry-after': '17' }));
    const { err } = await send(rx.url(''));
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect((err as RetryableDeliveryError).retryAfterSeconds).toBe(17);
  });

  it('refuses to start without the room, naming the variable', () => {
    expect(() =>
      webex.create(envDestination(webex, { WEBEX_TOKEN: TOKEN }), { deployed: false, extraAllowedHosts: [] }),
    ).toThrow(/^WEBEX_ROOM_ID: is not set$/);
  });
});
