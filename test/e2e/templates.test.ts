// Templates end to end through npm start: a destination's wording, a route's wording replacing it
// for what that route sends, and the inbox mirroring what was sent.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, postAll, receiver } from '../helpers/pipeline';
import { answer } from '../helpers/receiver';

describe('local pipeline end to end: templates', () => {
  it('words Slack and Teams as their templates say, a route’s template winning for its events', async () => {
    const rx = await receiver(answer(200, '1'));
    const dir = mkdtempSync(join(tmpdir(), 'templates-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      `destinations:
  ops:
    type: slack
    url: "${rx.url('/slack')}"
    events: all
    template:
      title: "{{ canary }} · {{ kind }}{% if cluster != '' %} on {{ cluster }}{% endif %}"
      fields: { Team: "{{ metadata.team | default: 'platform' }}", Revision: "{{ rollout.revision | default: 'pending' }}" }
  cards:
    type: teams
    url: "${rx.url('/teams')}"
    events: all
    template: { text: "Rollout of {{ canary }}: {{ message }}" }
routes:
  - name: team-a
    match: { metadata: { team: "a-*" } }
    template: { title: "Team A: {{ canary }} at {{ rollout.weight | default: 0 }}%" }
    to: [ops]
  - to: [ops, cards]
`,
    );
    const p = await pipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '', EVENTS: '' });
    const checkout = fixtureLines.filter((l) => l.includes('"checkout"'));
    const teamA = fixtureLines.find((l) => l.includes('"a-team"')) as string;
    await postAll(p.url, [checkout[0] as string, checkout.at(-1) as string, teamA]);
    const at = (path: string) =>
      rx.received.filter((r) => r.path === path).map((r) => JSON.stringify(r.json));
    for (let i = 0; i < 100 && (at('/slack').length < 3 || at('/teams').length < 2); i++)
      await new Promise((r) => setTimeout(r, 100));
    const slack = at('/slack');
    expect(slack.some((s) => s.includes('*checkout.shop · started*'))).toBe(true);
    expect(slack.some((s) => s.includes('*checkout.shop · failed*'))).toBe(true);
    expect(slack.some((s) => s.includes('"*Team*\\nplatform"'))).toBe(true);
    // The route's template, not the destination's, for the event it routed.
    expect(slack.some((s) => s.includes('*Team A: prod-eu-1 · api.team-a at 5%*'))).toBe(true);
    const teams = at('/teams');
    expect(
      teams.some((s) => s.includes('Rollout of checkout.shop: Canary failed! Scaling down checkout.shop')),
    ).toBe(true);
    // The inbox mirrors deliveries to configured destinations: the same wording there.
    const inbox = JSON.stringify(
      await (await fetch(`${p.url.replace(/\/events$/, '')}/inbox/messages`)).json(),
    );
    expect(inbox).toContain('Team A: prod-eu-1 · api.team-a at 5%');
    expect(inbox).toContain('Rollout of checkout.shop');
  }, 60_000);
});
