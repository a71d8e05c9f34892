import { describe, expect, it } from 'vitest';
import { createInbox } from '../../lib/local/inbox';

const SECRET = 'https://hooks.example.com/services/T0/B0/SECRETSECRET';

describe('the inbox mirrors deliveries to configured destinations', () => {
  it('keeps a webhook message with the host it went to, never its URL', () => {
    const inbox = createInbox();
    inbox.mirror({
      provider: 'slack',
      method: 'POST',
      url: SECRET,
      payload: { text: 'hi' },
      answer: undefined,
    });
    expect(inbox.items).toMatchObject([
      { provider: 'slack', kind: 'message', via: 'hooks.example.com', payload: { text: 'hi' } },
    ]);
    expect(JSON.stringify(inbox.items)).not.toContain('SECRET');
  });

  it('threads a Slack app post, its replies and its updates by the ts Slack answered', () => {
    const inbox = createInbox();
    const api = (method: string, payload: unknown, ts: string) =>
      inbox.mirror({
        provider: 'slack-app',
        method: 'POST',
        url: `https://slack.com/api/${method}`,
        payload,
        answer: { ok: true, ts },
      });
    api('chat.postMessage', { channel: 'C1', text: 'started' }, '1.000100');
    api('chat.postMessage', { channel: 'C1', text: 'halted', thread_ts: '1.000100' }, '1.000200');
    api('chat.update', { channel: 'C1', ts: '1.000100', text: 'promoted' }, '1.000100');
    api('conversations.history', { channel: 'C1' }, '');
    expect(inbox.items.map((i) => [i.kind, i.id, i.parent])).toEqual([
      ['message', '1.000100', undefined],
      ['reply', '1.000200', '1.000100'],
      ['update', '1.000100', undefined],
    ]);
  });

  it('edits a Discord message in place on PATCH …/messages/{id}', () => {
    const inbox = createInbox();
    const hook = 'https://discord.com/api/webhooks/1/SECRET';
    inbox.mirror({
      provider: 'discord',
      method: 'POST',
      url: `${hook}?wait=true`,
      payload: { embeds: [] },
      answer: { id: '42' },
    });
    inbox.mirror({
      provider: 'discord',
      method: 'PATCH',
      url: `${hook}/messages/42`,
      payload: { embeds: [] },
      answer: { id: '42' },
    });
    expect(inbox.items.map((i) => [i.kind, i.id, i.via])).toEqual([
      ['message', '42', 'discord.com'],
      ['update', '42', 'discord.com'],
    ]);
  });
});
