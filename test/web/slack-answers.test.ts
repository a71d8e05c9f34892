// What the Slack app says about a decision: its words, the reason dialog, the message redrawn
// without its gate buttons, and the approver's e-mail when Slack gives one.
import { describe, expect, it } from 'vitest';
import type { SlackApi } from '../../lib/providers/slack-app/api';
import { announce, decisionText, GATE_ACTIONS, rejectView, userEmail } from '../../lib/web/slack-answers';

const AT = Date.UTC(2026, 11, 2, 14, 2);
const WHEN = `<!date^${AT / 1000}^{date_short_pretty} {time}|2026-12-02T14:02:00.000Z>`;

function fakeApi(fail = false) {
  const calls: { method: string; body: Record<string, unknown> }[] = [];
  const api: SlackApi = {
    async call<T>(method: string, body: Record<string, unknown>) {
      calls.push({ method, body });
      if (fail) throw new Error('boom');
      return {} as T;
    },
  };
  return { api, calls };
}

describe('decisionText', () => {
  it.each([
    [{ kind: 'rollback', open: true }, `↩️ Rollback requested by <@U1> ${WHEN}`],
    [
      { kind: 'gate', open: false, rejected: 'p99 <!here> & up' },
      `❌ Rejected by <@U1> ${WHEN}: p99 &lt;!here&gt; &amp; up`,
    ],
    [{ kind: 'gate', open: false, vote: { n: 1, of: 2 } }, `👍 Approval 1 of 2 by <@U1> ${WHEN}`],
    [{ kind: 'gate', open: true, vote: { n: 2, of: 2 } }, `✅ Approved by <@U1> ${WHEN}`],
    [{ kind: 'gate', open: true }, `✅ Approved by <@U1> ${WHEN}`],
  ] as const)('%o', (change, text) => {
    expect(decisionText(change, 'U1', AT)).toBe(text);
  });

  it('knows the three buttons', () => {
    expect(GATE_ACTIONS).toEqual({
      'gate-open': { kind: 'gate', action: 'open' },
      'rollback-open': { kind: 'rollback', action: 'open' },
      'gate-reject': { kind: 'gate', action: 'reject' },
    });
  });
});

describe('the reason dialog', () => {
  it('is a modal asking why, carrying the button and message it came from', () => {
    expect(rejectView('frontend.web', '{"b":1}')).toEqual({
      type: 'modal',
      callback_id: 'gate-reject',
      private_metadata: '{"b":1}',
      title: { type: 'plain_text', text: 'Reject this revision' },
      submit: { type: 'plain_text', text: 'Reject' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [
        {
          type: 'section',
          text: { type: 'plain_text', text: "frontend.web's gate stays closed for this revision." },
        },
        {
          type: 'input',
          block_id: 'reason',
          label: { type: 'plain_text', text: 'Why?' },
          element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 300 },
        },
      ],
    });
  });
});

describe('announce', () => {
  const link = {
    type: 'button',
    url: 'https://x/rollouts/web/frontend/1',
    text: { type: 'plain_text', text: 'Rollout details' },
  };
  const message = {
    channel: 'C1',
    ts: '1.2',
    attachments: [
      {
        color: '#aaa',
        blocks: [
          { type: 'section', text: 'frontend' },
          {
            type: 'actions',
            elements: [
              { type: 'button', action_id: 'gate-open' },
              { type: 'button', action_id: 'gate-reject' },
              link,
            ],
          },
          { type: 'actions', elements: [{ type: 'button', action_id: 'rollback-open' }] },
        ],
      },
      { color: '#bbb', text: 'second' },
    ],
  };

  it('replies in the thread and redraws the message: gate buttons gone (an emptied row too), other buttons kept, the decision added', async () => {
    const { api, calls } = fakeApi();
    await announce(api, message, 'decided', true);
    expect(calls).toEqual([
      { method: 'chat.postMessage', body: { channel: 'C1', thread_ts: '1.2', text: 'decided' } },
      {
        method: 'chat.update',
        body: {
          channel: 'C1',
          ts: '1.2',
          text: '',
          attachments: [
            {
              color: '#aaa',
              blocks: [
                { type: 'section', text: 'frontend' },
                { type: 'actions', elements: [link] },
                { type: 'context', elements: [{ type: 'mrkdwn', text: 'decided' }] },
              ],
            },
            { color: '#bbb', text: 'second' },
          ],
        },
      },
    ]);
  });

  it('keeps the message text; with replaceButtons false only replies', async () => {
    const { api, calls } = fakeApi();
    await announce(api, { ...message, text: 'frontend waits' }, 'one vote', false);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage']);
    const again = fakeApi();
    await announce(again.api, { ...message, text: 'frontend waits' }, 'x', true);
    expect(again.calls[1]?.body.text).toBe('frontend waits');
  });

  it('says nothing without the message’s channel and ts, and never throws when Slack fails', async () => {
    for (const m of [{ channel: 'C1' }, { ts: '1.2' }]) {
      const { api, calls } = fakeApi();
      await announce(api, m, 'x', true);
      expect(calls).toEqual([]);
    }
    await expect(announce(fakeApi(true).api, message, 'x', true)).resolves.toBeUndefined();
  });
});

describe('userEmail', () => {
  const answering = (user: unknown): SlackApi => ({ call: async <T>() => ({ user }) as T });
  it('reads the profile’s e-mail when it is one, and nothing otherwise', async () => {
    expect(await userEmail(answering({ profile: { email: 'ana@example.com' } }), 'U1')).toBe(
      'ana@example.com',
    );
    expect(await userEmail(undefined, 'U1')).toBeUndefined();
    for (const user of [
      undefined,
      {},
      { profile: {} },
      { profile: { email: ['ana@example.com'] } },
      { profile: { email: ' ana@example.com' } },
      { profile: { email: 'ana@example.com x' } },
      { profile: { email: '<ana@example.com>' } },
    ])
      expect(await userEmail(answering(user), 'U1'), JSON.stringify(user)).toBeUndefined();
    const failing: SlackApi = { call: async () => Promise.reject(new Error('missing_scope')) };
    expect(await userEmail(failing, 'U1')).toBeUndefined();
  });
});
