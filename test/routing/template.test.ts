// Templates: sandboxed (data only, own properties only), strict (an unknown variable or filter is
// an error, never an empty string), bounded, and escaped by each platform after rendering.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { checkTemplates } from '../../lib/ops/check-config';
import { formatMattermost } from '../../lib/providers/mattermost';
import { formatSlack } from '../../lib/providers/slack';
import { formatTeams } from '../../lib/providers/teams';
import { reduce } from '../../lib/rollouts/tracker';
import { parseRoutingConfig } from '../../lib/routing/config';
import { compileTemplate, sandboxedEngine, TEMPLATE_LIMITS, templateVars } from '../../lib/routing/template';
import { byMessage, fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { adaptiveCardProblems, slackLimitViolations } from '../helpers/limits';

/** The template the golden files are drawn with: every kind of variable a team would use. */
const SAMPLE_TEMPLATE = {
  title: '{{ canary }} — {{ kind | upcase }}{% if cluster != "" %} in {{ cluster }}{% endif %}',
  text: '{{ message }}{% if rollout.failedChecks %} ({{ rollout.failedChecks }} failed checks){% endif %}',
  fields: {
    Owner: '{{ metadata.team | default: "platform" }}',
    Revision: '{{ rollout.revision | default: "pending" }}',
    Step: '{% if rollout.weight %}{{ rollout.weight }}%{% else %}{{ rollout.status }}{% endif %}',
  },
};

const render = async (def: Parameters<typeof compileTemplate>[0], e: FlaggerEvent) =>
  (await compileTemplate(def, 'destinations.ops.template')).render(
    templateVars(e, reduce(undefined, e).rollout),
  );

const wordingOf = async (e: FlaggerEvent) => {
  const out = await render(SAMPLE_TEMPLATE, e);
  if ('error' in out) throw new Error(out.error);
  return out.wording;
};

describe('message templates', () => {
  it('words a message from the event, its rollout and its metadata', async () => {
    const failed = byMessage('Canary failed!');
    expect(await wordingOf(failed)).toEqual({
      title: 'checkout.shop — FAILED',
      text: 'Canary failed! Scaling down checkout.shop',
      fields: [
        ['Owner', 'platform'],
        ['Revision', 'pending'],
        ['Step', 'failed'],
      ],
    });
    const team = fixtures.find((e) => e.metadata.team) as FlaggerEvent;
    expect((await wordingOf(team)).title).toBe('prod-eu-1 · api.team-a — PROGRESS in prod-eu-1');
    expect((await wordingOf(team)).fields?.[0]).toEqual(['Owner', 'a-team']);
  });

  it.each([
    [
      'an unknown variable',
      { title: '{{ canary_name }}' },
      'destinations.ops.template.title: undefined variable: canary_name',
    ],
    [
      'a missing metadata key',
      { text: '{{ metadata.owner }}' },
      'destinations.ops.template.text: undefined variable: metadata.owner',
    ],
    ['constructor', { title: '{{ canary.constructor }}' }, 'undefined variable: canary.constructor'],
    ['__proto__', { title: '{{ metadata.__proto__ }}' }, 'undefined variable: metadata.__proto__'],
    [
      'output over the limit',
      { text: '{% for i in (1..400) %}{{ canary }}{% endfor %}' },
      'destinations.ops.template.text: renders 4800 characters, over the 3000',
    ],
  ])('refuses %s, naming the part', async (_, def, error) => {
    const out = await render(def, fixtures[0] as FlaggerEvent);
    expect('error' in out && out.error).toContain(error);
  });

  it.each([
    ['a syntax error', '{{ canary ', /routes\.0\.template\.title \(line 5\): output "{{ canary " not closed/],
    ['an unknown filter', '{{ canary | shout }}', /template\.title \(line 5\): undefined filter: shout/],
    ['a file tag', '{% include "secrets" %}', /template\.title \(line 5\): templates cannot include files/],
    [
      'a file tag in a liquid block',
      '{% liquid include "package.json" %}',
      /template\.title \(line 5\): templates cannot include files/,
    ],
    [
      'render in a liquid block',
      '{% liquid\n render "x" %}',
      /templates cannot include files \(\{% render %\}\)/,
    ],
    ['layout', '{%- layout "x" -%}', /templates cannot include files \(\{% layout %\}\)/],
    ['an unknown part', null, /"subject" is not|Unrecognized key/],
  ])('refuses %s when the routing file loads, naming the line', async (_, title, error) => {
    const template = title === null ? '{ subject: x }' : `{ title: ${JSON.stringify(title)} }`;
    const yaml = `destinations:\n  ops: { type: slack, url: "https://hooks.slack.com/services/x" }\nroutes:\n  - to: [ops]\n    template: ${template}\n`;
    await expect(parseRoutingConfig(yaml, {}, 'f.yaml')).rejects.toThrow(error);
  });

  it('is escaped for the platform after rendering: event text in a template makes no mention', async () => {
    const hostile = {
      ...(fixtures[0] as FlaggerEvent),
      metadata: {
        ...(fixtures[0] as FlaggerEvent).metadata,
        eventMessage: 'ping <!channel> <@U123> @here <https://evil|click>',
      },
    };
    const wording = await wordingOf(hostile);
    const slack = JSON.stringify(formatSlack(hostile, {}, { wording }));
    expect(slack).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil\|/);
    // …and the text did arrive, as inert text: a formatter that dropped it would pass the line above.
    expect(slack).toContain('ping &lt;!channel&gt; &lt;@U123&gt; @here &lt;https://evil|click&gt;');
    const mattermost = JSON.stringify(formatMattermost(hostile, {}, { wording }));
    expect(mattermost).not.toMatch(/<!channel>|<https:\/\/evil\|/);
    expect(mattermost).toContain(
      'ping <\u200b!channel> <\u200b@\u200bU123> @\u200bhere <https://evil∣click>',
    );
  });

  it('check-config renders every template against every sample event and names the first failing one', async () => {
    const config = await parseRoutingConfig(
      'destinations:\n  ops:\n    type: slack\n    url: "https://hooks.slack.com/services/x"\n    template: { title: "{{ canary }} owned by {{ metadata.team }}" }\n',
      {},
      'f.yaml',
    );
    expect(checkTemplates(config, fixtures)).toEqual([
      'f.yaml: destinations.ops.template.title (line 5): undefined variable: metadata.team, line:1, col:26 — first on podinfo.test "New revision detected! Scaling up podinfo.test"',
    ]);
  });
});

describe('templated messages, golden for every sample event', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'Slack and Teams for %s',
    async (name, e) => {
      const wording = await wordingOf(e);
      const slack = formatSlack(e, {}, { wording });
      expectGolden(`templated/slack/${name}`, slack);
      expect(slackLimitViolations(slack as never)).toEqual([]);
      const teams = formatTeams(e, {}, { wording }) as { attachments: { content: unknown }[] };
      expectGolden(`templated/teams/${name}`, teams);
      expect(adaptiveCardProblems(teams.attachments[0]?.content as never)).toEqual([]);
    },
  );

  it('reads no file even with the engine’s own file system: the parser refuses the tags, not a stub', async () => {
    const { Liquid } = await import('liquidjs');
    const unstubbed = sandboxedEngine(Liquid, false);
    // Without the refusal this engine would read the file: prove it can, then that ours cannot.
    const plain = new Liquid({ root: [process.cwd()] });
    expect(await plain.parseAndRender('{% liquid include "package.json" %}')).toContain(
      '"name": "flagger-notify"',
    );
    for (const source of [
      '{% liquid include "package.json" %}',
      '{% render "package.json" %}',
      '{% include "package.json" %}',
    ])
      expect(() => unstubbed.parse(source), source).toThrow(/templates cannot include files/);
  });

  it('cuts a runaway loop off by the engine’s limits, in well under a second, naming the part', async () => {
    const t0 = Date.now();
    const out = await render(
      { text: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' },
      fixtures[0] as FlaggerEvent,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect('error' in out && out.error).toMatch(/^destinations\.ops\.template\.text: .*limit/i);
  });

  it('renders just under the time limit, and refuses a template source over the parse limit', async () => {
    // 1,000 iterations render in a few ms: the limits do not bite ordinary templates.
    const ok = await render(
      { text: '{% for i in (1..1000) %}{% endfor %}{{ canary }}' },
      fixtures[0] as FlaggerEvent,
    );
    expect(ok).toEqual({ wording: { text: 'podinfo.test' } });
    const { Liquid } = await import('liquidjs');
    const liquid = sandboxedEngine(Liquid);
    expect(() => liquid.parse('x'.repeat(TEMPLATE_LIMITS.parseLimit))).not.toThrow();
    expect(() => liquid.parse('x'.repeat(TEMPLATE_LIMITS.parseLimit + 1))).toThrow(/parse length limit/);
  });
});
