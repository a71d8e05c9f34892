// Telegram: one live message per rollout, edited in place, its failure replied to; the Bot API's
// answers classified (429 retry_after, an unchanged edit, a message gone); HTML escaped, no mention.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { envDestination } from '../../lib/providers/destination';
import { telegram, telegramMessage } from '../../lib/providers/telegram';
import { memoryRolloutStore } from '../../lib/rollouts/memory-store';
import { reduce } from '../../lib/rollouts/tracker';
import { fixtureName, fixtures, withMessage } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { type Behaviour, type Receiver, startReceiver } from '../helpers/receiver';

const TOKEN = '123456789:SECRETbotTOKENabcdefghijklmnopqrstu';
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

/** A Bot API stand-in: message ids from 100, and a script for the next answers. */
function botApi(script: Record<number, { status: number; body: unknown }> = {}): Behaviour {
  let id = 100;
  return (req, res, n) => {
    const scripted = script[n];
    if (scripted) {
      res
        .writeHead(scripted.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(scripted.body));
      return;
    }
    const method = req.path.split('/').at(-1);
    const message_id = method === 'sendMessage' ? ++id : (req.json as { message_id: number }).message_id;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: true, result: { message_id } }));
  };
}

function destination(apiUrl: string) {
  const sender = telegram.create(
    envDestination(telegram, {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID: '-1001234567890',
      TELEGRAM_API_URL: apiUrl,
    }),
    { deployed: false, extraAllowedHosts: [], store: memoryRolloutStore() },
  );
  return (e: FlaggerEvent) =>
    sender.send(e, { timeoutMs: 2000, messageId: 'm', eventId: eventIdentity(e), moreInGroup: false });
}
const calls = () =>
  (rx?.received ?? []).map((r) => [r.path.replace(`/bot${TOKEN}/`, '/bot…/'), r.json] as const);
const checkout = fixtures.filter((e) => e.name === 'checkout');

describe('Telegram live message', () => {
  it('posts one message for a rollout, edits it as the rollout moves, and replies to its failure', async () => {
    rx = await startReceiver(botApi());
    const send = destination(rx.url(''));
    for (const e of checkout) await send(e);
    const methods: string[] = calls().map(
      ([path, body]) =>
        `${path.split('/').at(-1)}${(body as { reply_parameters?: unknown }).reply_parameters ? ' (reply)' : ''}`,
    );
    expect(methods[0]).toBe('sendMessage');
    expect(methods.filter((m) => m === 'sendMessage')).toHaveLength(1);
    expect(methods).toContain('editMessageText');
    // The failure is a reply (it notifies; an edit does not), then the message's last redraw.
    // The failure is one reply (it notifies; an edit does not); the message ends redrawn.
    expect(methods.filter((m) => m === 'sendMessage (reply)')).toHaveLength(1);
    expect(methods.at(-1)).toBe('editMessageText');
    const edits = calls().filter(([p]) => p.endsWith('editMessageText'));
    expect(edits.every(([, b]) => (b as { message_id: number }).message_id === 101)).toBe(true);
    expect(JSON.stringify(edits.at(-1)?.[1])).toContain('checkout.shop · Failed');
    expect(calls()[0]?.[1] ?? {}).toMatchObject({
      chat_id: '-1001234567890',
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
  });

  it('takes “message is not modified” as done, and posts anew when the message is gone', async () => {
    rx = await startReceiver(
      botApi({
        2: {
          status: 400,
          body: { ok: false, error_code: 400, description: 'Bad Request: message is not modified' },
        },
        3: {
          status: 400,
          body: { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' },
        },
      }),
    );
    const send = destination(rx.url(''));
    for (const e of checkout.slice(0, 3)) await send(e);
    expect(calls().map(([p]) => p.split('/').at(-1))).toEqual([
      'sendMessage',
      'editMessageText',
      'editMessageText',
      'sendMessage',
    ]);
  });

  it('waits out a 429 for its retry_after', async () => {
    rx = await startReceiver(
      botApi({
        1: {
          status: 429,
          body: {
            ok: false,
            error_code: 429,
            description: 'Too Many Requests: retry after 33',
            parameters: { retry_after: 33 },
          },
        },
      }),
    );
    const err = await destination(rx.url(''))(checkout[0] as FlaggerEvent).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect((err as RetryableDeliveryError).retryAfterSeconds).toBe(33);
  });

  it.each([
    [401, 'Unauthorized'],
    [403, 'Forbidden: bot was kicked from the supergroup chat'],
    [400, 'Bad Request: chat not found'],
  ])(
    'dead-letters a %i (%s) at once, never quoting the token (it is in the URL path)',
    async (status, description) => {
      rx = await startReceiver(
        botApi({ 1: { status, body: { ok: false, error_code: status, description } } }),
      );
      const err = await destination(rx.url(''))(checkout[0] as FlaggerEvent).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PermanentDeliveryError);
      expect((err as Error).message).toContain(description);
      expect((err as Error).message).not.toContain('SECRETbotTOKEN');
    },
  );

  it('escapes HTML and makes no mention from event text; stays within 4,096 characters', () => {
    const hostile = withMessage(
      `Canary failed! <b>bold</b> @admins <a href="https://evil.example">click</a> ${'ж'.repeat(9000)}`,
    );
    const text = telegramMessage(reduce(undefined, hostile).rollout, []);
    expect(text).not.toMatch(/<a href="https:\/\/evil/);
    expect(text).not.toContain('<b>bold</b>');
    expect(text).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(text).not.toMatch(/(^|[^\w])@admins/);
    expect(text.length).toBeLessThanOrEqual(4096);
  });

  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'previews the golden message for %s',
    (name, e) => {
      expectGolden(`telegram/${name}`, telegram.preview(e));
    },
  );
});
