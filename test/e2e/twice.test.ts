// npm start's command end to end with what happens twice: the same canary rolling out again
// seconds after a failure (same words, same checksums), and a byte-identical resend.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, post, postAll, receiver, slackApiOf } from '../helpers/pipeline';
import { answer } from '../helpers/receiver';

const checkout = fixtureLines.filter((l) => l.includes('"checkout"'));
/** The sample rollout again, `ms` later: only the timestamps differ. */
const again = (ms: number) =>
  checkout.map((l) => {
    const e = JSON.parse(l);
    e.metadata.timestamp = String(Number(e.metadata.timestamp) + ms);
    return JSON.stringify(e);
  });
const waitFor = async (done: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
};

describe('local pipeline end to end: the same canary rolling out again', () => {
  it('says a second failed rollout seconds after the first in every mode, and collapses only a byte-identical resend', async () => {
    const slackApi = await slackApiOf();
    const rx = await receiver(answer(200, 'ok'));
    const dir = mkdtempSync(join(tmpdir(), 'twice-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      `destinations:
  live: { type: slack-app, token: xoxb-e2e-SECRET-token, channel: C0LOCAL0001, apiUrl: "${slackApi.url}" }
  milestones: { type: mattermost, url: "${rx.url('/milestones/SECRET')}" }
  every: { type: webhook, url: "${rx.url('/every/SECRET')}", events: all }
  alerts: { type: alertmanager, url: "${rx.url('/am')}" }
`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '', EVENTS: '' });
    const first = checkout;
    const second = again(5_000);
    await postAll(p.url, [...first, ...second]);
    // Flagger's per-canary webhook retrying the last event: the same bytes.
    expect((await post(p.url, second.at(-1) as string)).status).toBe(202);

    const at = (prefix: string) => rx.received.filter((r) => r.path.startsWith(prefix));
    const firing = () =>
      at('/am')
        .flatMap((r) => r.json as { endsAt: string }[])
        .map((a) => Date.parse(a.endsAt) > Date.now() + 1000);
    await waitFor(
      () =>
        at('/every/').length >= 14 &&
        at('/milestones/').length >= 6 &&
        firing().length >= 3 &&
        slackApi.api.messages.length === 2 &&
        slackApi.api.messages.every((m) => /Failed/.test(JSON.stringify(m.attachments))),
      30_000,
    );
    // Give a wrongly repeated delivery time to show up.
    await new Promise((r) => setTimeout(r, 1000));

    // Every event, each once: 7 of the first rollout, 7 of the second, none for the resend.
    expect(
      at('/every/').map(
        (r) => (r.json as { event: { metadata: { timestamp: string } } }).event.metadata.timestamp,
      ),
    ).toEqual([...first, ...second].map((l) => JSON.parse(l).metadata.timestamp));
    // Milestones: start, first failed check, failure — twice.
    expect(at('/milestones/')).toHaveLength(6);
    // A live message per rollout, each ending failed.
    expect(slackApi.api.messages.map((m) => JSON.stringify(m.attachments).match(/· (Failed)/)?.[1])).toEqual([
      'Failed',
      'Failed',
    ]);
    // Alertmanager: the first failure fires, the second rollout's start resolves it, its failure fires again.
    expect(firing()).toEqual([true, false, true]);
    expect(p.output()).not.toContain('SECRET');
  }, 60_000);
});
