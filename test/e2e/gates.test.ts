// npm start's command end to end: a canary waiting for approval, Flagger's /gate/check before and
// after the CLI opens it, the next rollout closed again, a rollback, and the token.
import { describe, expect, it } from 'vitest';
import { flaggerWaitingForApproval } from '../../lib/local/flagger';
import { main as cli } from '../../lib/ops/cli';
import { fixtureLines } from '../helpers/fixtures';
import { inboxCount, pipeline, postAll, until } from '../helpers/pipeline';

const TOKEN = 'e2e-gate-token-0123456789abcdef';

describe('local pipeline end to end: gates', () => {
  it('answers /gate/check 403, then 200 once opened from the CLI; the next rollout waits again; rollback', async () => {
    const p = await pipeline({ INGEST_TOKEN: TOKEN });
    const base = p.url.replace(/\/events$/, '');
    const port = new URL(base).port;
    const flagger = (path: string, token = TOKEN, checksum = '77aa88bb99') =>
      fetch(`${base}${path}?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // What Flagger POSTs to a confirm hook: the canary, its phase and checksum, the hook's metadata.
        body: JSON.stringify({
          name: 'frontend',
          namespace: 'web',
          phase: 'Waiting',
          checksum,
          metadata: {},
        }),
      });
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const code = await cli(argv, {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        env: { PORT: port, INGEST_TOKEN: TOKEN, USER: 'ana' },
      });
      return { code, out: out.join('\n') };
    };
    const frontend = fixtureLines.filter((l) => l.includes('"frontend"'));
    // Initialized, then "Halt frontend.web advancement waiting for approval gate-keeper".
    await postAll(`${p.url}?token=${TOKEN}`, frontend.slice(0, 3));
    // The rollout is known once its waiting message (with Approve) went out.
    expect(await until(async () => (await inboxCount(base, 'slack-app', 'gate-open', 'frontend')) > 0)).toBe(
      true,
    );
    expect((await flagger('/gate/check')).status).toBe(403);
    expect((await flagger('/gate/check', 'wrong-token-0123456789')).status).toBe(401);
    // The loadtester's unconditional /gate/approve is not a gate here: 404, which Flagger takes as closed.
    expect((await flagger('/gate/approve')).status).toBe(404);
    // A GET on an action URL (a link preview, a scanner) opens nothing.
    expect((await fetch(`${base}/gate/open?token=${TOKEN}`)).status).toBeGreaterThanOrEqual(404);
    expect((await flagger('/gate/check')).status).toBe(403);

    expect(await run('gate', 'open', 'web/frontend')).toEqual({
      code: 0,
      out: 'gate open frontend.web: 202 Gate opened',
    });
    const approved = await flagger('/gate/check');
    expect([approved.status, await approved.text()]).toEqual([200, 'Approved']);
    expect((await run('gate', 'status', 'web/frontend')).out).toBe(
      'gate: open for frontend.web\nrollback: closed for frontend.web',
    );

    // The rollout runs on to its promotion; the next one (seconds later) waits again.
    await postAll(`${p.url}?token=${TOKEN}`, frontend.slice(3));
    const next = frontend.slice(1, 3).map((l) => {
      const e = JSON.parse(l);
      e.metadata.timestamp = String(Number(e.metadata.timestamp) + 600_000);
      e.checksum = 'ccddeeff00';
      return JSON.stringify(e);
    });
    await postAll(`${p.url}?token=${TOKEN}`, next);
    // Flagger asks for the new revision at once: closed, however far behind the workers are.
    expect((await flagger('/gate/check', TOKEN, 'ccddeeff00')).status).toBe(403);
    // Once the next rollout's live message shows its revision (its story is the new rollout),
    // closed for any caller, and the rollback signal is for that rollout.
    for (let i = 0; i < 150; i++) {
      const items = (await (await fetch(`${base}/inbox/messages`)).json()) as { provider: string }[];
      if (JSON.stringify(items.filter((x) => x.provider === 'slack-app')).includes('ccddeeff00')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await flagger('/gate/check')).status).toBe(403);

    expect((await run('rollback', 'web/frontend')).code).toBe(0);
    expect((await flagger('/rollback/check', TOKEN, 'ccddeeff00')).status).toBe(200);
    expect(p.output()).toContain('gate opened');
  }, 60_000);

  it('opens a waiting gate from the rollout page’s form, reached from the Slack message’s link', async () => {
    // Approving from the page is an explicit choice (closed by default).
    const p = await pipeline({ INGEST_TOKEN: TOKEN, PAGE_APPROVERS: 'anyone-with-link' });
    const base = p.url.replace(/\/events$/, '');
    const check = async () =>
      (
        await fetch(`${base}/gate/check?token=${TOKEN}`, {
          method: 'POST',
          body: JSON.stringify({ name: 'frontend', namespace: 'web' }),
        })
      ).status;
    const frontend = fixtureLines.filter((l) => l.includes('"frontend"'));
    await postAll(`${p.url}?token=${TOKEN}`, frontend.slice(0, 3));
    // The link in the Slack app's live message, as a person would follow it.
    let link: string | undefined;
    for (let i = 0; i < 50 && !link; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const items = (await (await fetch(`${base}/inbox/messages`)).json()) as {
        provider: string;
        payload: unknown;
      }[];
      link = items
        .filter((x) => x.provider === 'slack-app' && JSON.stringify(x.payload).includes('gate-open'))
        .map((x) => /"url":"([^"]*\/rollouts\/web\/frontend\/[^"]+)"/.exec(JSON.stringify(x.payload))?.[1])
        .filter(Boolean)
        .at(-1);
    }
    expect(link).toBeDefined();
    // Fetching the page (as a link preview would), again and again, changes nothing. The worker
    // writes the story at its batch's end, after the message went out: the page may lag the
    // message by that much, so it is fetched until it shows the waiting gate's form.
    let html = '';
    expect(
      await until(async () => {
        html = await (await fetch(link as string)).text();
        return html.includes('<form class="gate"');
      }, 10_000),
    ).toBe(true);
    await fetch(link as string);
    expect(await check()).toBe(403);
    const nonce = /name="nonce" value="([^"]+)"/.exec(html)?.[1] as string;
    const action = String(/<form class="gate" method="post" action="([^"]+)"/.exec(html)?.[1]).replace(
      /&amp;/g,
      '&',
    );
    const sent = await fetch(new URL(action, link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'approve', nonce }).toString(),
      redirect: 'manual',
    });
    expect(sent.status).toBe(303);
    expect(await check()).toBe(200);
    const again = await fetch(new URL(action, link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'rollback', nonce }).toString(),
      redirect: 'manual',
    });
    expect(again.status).toBe(409);
    expect(await (await fetch(new URL(sent.headers.get('location') as string, link))).text()).toContain(
      'Approved by someone with the link (link)',
    );
  }, 60_000);

  it('the demo’s waiting canary, twice: approved from the Slack look-alike it is promoted; its next rollout waits again, is rejected with a reason and rolled back', async () => {
    const p = await pipeline({ INGEST_TOKEN: TOKEN });
    const base = p.url.replace(/\/events$/, '');
    // The Slack app's latest button for shipping.demo, clicked as a person would (signed as Slack signs).
    const clicked = new Set<string>();
    const click = async (action: string, reason?: string) => {
      for (let i = 0; i < 150; i++) {
        const items = (await (await fetch(`${base}/inbox/messages`)).json()) as {
          provider: string;
          kind: string;
          id: string;
          payload: {
            ts?: string;
            attachments?: { blocks?: { elements?: { action_id?: string; value?: string }[] }[] }[];
          };
        }[];
        const button = items
          .filter((x) => x.provider === 'slack-app')
          .flatMap((x) =>
            (x.payload.attachments?.[0]?.blocks ?? []).flatMap((b) =>
              (b.elements ?? [])
                .filter((e) => e.action_id === action && e.value?.includes('"shipping"'))
                .map((e) => ({ ...e, ts: x.kind === 'update' ? x.payload.ts : x.id })),
            ),
          )
          .filter((b) => !clicked.has(`${b.ts} ${action}`))
          .at(-1);
        if (button) {
          // The next rollout's button is in its own, new message.
          clicked.add(`${button.ts} ${action}`);
          const res = await fetch(`${base}/inbox/click`, {
            method: 'POST',
            body: JSON.stringify({ ...button, reason }),
          });
          return `${res.status} ${await res.text()}`;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return 'no button';
    };
    // As Flagger asks: with the revision that waits.
    const gateCheck = async (checksum: string) =>
      (
        await fetch(`${base}/gate/check?token=${TOKEN}`, {
          method: 'POST',
          body: JSON.stringify({ name: 'shipping', namespace: 'demo', checksum }),
        })
      ).status;
    const flagger = () =>
      flaggerWaitingForApproval(base, {
        token: TOKEN,
        intervalMs: 300,
        waitMs: 30_000,
        onWaiting: (checksum) => waiting.push(checksum),
      });
    const waiting: string[] = [];

    const first = flagger();
    while (!waiting.length) await new Promise((r) => setTimeout(r, 100));
    expect(await gateCheck(waiting[0] as string)).toBe(403);
    expect(await click('gate-open')).toBe('200 Gate opened');
    expect(await first).toBe('promoted');

    const second = flagger();
    while (waiting.length < 2) await new Promise((r) => setTimeout(r, 100));
    // A new rollout of the same canary (a new revision): the approval did not carry over.
    expect(await gateCheck(waiting[1] as string)).toBe(403);
    // Rejected with a reason (Slack's dialog, as the inbox sends it): Approve no longer opens it.
    expect(await click('gate-reject', 'latency budget spent')).toBe('200 Gate rejected');
    expect(await click('gate-open')).toMatch(/^409 Gate rejected by you .*: latency budget spent/);
    expect(await gateCheck(waiting[1] as string)).toBe(403);
    expect(await click('rollback-open')).toBe('200 Rollback opened');
    expect(await second).toBe('rolled back');
    expect(p.output()).toContain('gate opened');
  }, 90_000);
});
