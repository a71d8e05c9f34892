// The template engine's own settings, every variable a template sees (with and without a rollout),
// and the rendered size limit on both sides.
import { describe, expect, it } from 'vitest';
import type { FlaggerEvent } from '../../lib/event/event';
import { reduce } from '../../lib/rollouts/tracker';
import { compileTemplate, RENDERED_MAX, templateEngine, templateVars } from '../../lib/routing/template';
import { fixtures } from '../helpers/fixtures';

const event = fixtures.find((e) => e.name === 'checkout') as FlaggerEvent;
const render = async (title: string, vars = templateVars(event, undefined, undefined)) => {
  const t = await compileTemplate({ title }, 'f.yaml: routes.0.template (line 3)');
  return t.render(vars);
};

describe('the template engine’s settings', () => {
  it('refuses an unknown variable and an unknown filter by name, and reads no inherited property', async () => {
    expect(await render('{{ nope }}')).toEqual({
      error: expect.stringMatching(
        /^f\.yaml: routes\.0\.template\.title \(line 3\): undefined variable: nope/,
      ),
    });
    await expect(compileTemplate({ title: '{{ name | nope }}' }, 'f.yaml: t')).rejects.toThrow(
      /f\.yaml: t\.title: undefined filter: nope/,
    );
    expect(await render('{{ metadata.constructor }}')).toEqual({
      error: expect.stringMatching(/undefined variable: metadata\.constructor|constructor/),
    });
  });

  it('takes no relative reference', async () => {
    const liquid = await templateEngine();
    expect((liquid.options as { relativeReference?: boolean }).relativeReference).toBe(false);
  });
});

describe('what a template sees', () => {
  it('without a rollout: empty values, never an error', async () => {
    const vars = templateVars(
      { ...event, checksum: undefined } as unknown as FlaggerEvent,
      undefined,
      undefined,
    );
    expect(vars.checksum).toBe('');
    expect(vars.link).toBe('');
    expect(vars.rollout).toEqual({
      status: '',
      weight: null,
      iteration: '',
      failedChecks: null,
      revision: '',
      startedAt: '',
      duration: 0,
      checks: { passed: [], failed: [] },
      gates: [],
    });
  });

  it('with a rollout: its state, step, checks, gates and how long it ran', () => {
    const events = fixtures.filter((e) => e.name === 'frontend');
    let r = reduce(undefined, events[0] as FlaggerEvent).rollout;
    for (const e of events.slice(1)) r = reduce(r, e).rollout;
    const vars = templateVars(events.at(-1) as FlaggerEvent, r, 'https://x/rollouts/web/frontend/1');
    expect(vars.link).toBe('https://x/rollouts/web/frontend/1');
    expect(vars.rollout).toEqual({
      status: r.status,
      weight: r.weight ?? null,
      iteration: r.iteration ? `${r.iteration.n}/${r.iteration.of}` : '',
      failedChecks: r.failedChecks ?? null,
      revision: r.revision ?? '',
      startedAt: new Date(r.startedAt).toISOString(),
      duration: Math.round(((r.endedAt ?? r.updatedAt) - r.startedAt) / 1000),
      checks: { passed: r.passed, failed: r.failed.map((f) => f.name) },
      gates: r.gates.map((g) => ({ name: g.name, passed: g.passed })),
    });
    expect(vars.rollout.gates.length).toBeGreaterThan(0);
    expect(vars.rollout.duration).toBeGreaterThan(0);
    const checkout = fixtures.filter((e) => e.name === 'checkout');
    let c = reduce(undefined, checkout[0] as FlaggerEvent).rollout;
    for (const e of checkout.slice(1)) c = reduce(c, e).rollout;
    const cv = templateVars(checkout.at(-1) as FlaggerEvent, c, undefined).rollout;
    expect(cv.checks.failed.length).toBeGreaterThan(0);
    expect(cv.failedChecks).toBe(c.failedChecks);
  });

  it('with an iteration: n/of', () => {
    const r = { ...reduce(undefined, event).rollout, iteration: { n: 2, of: 5 } };
    expect(templateVars(event, r, undefined).rollout.iteration).toBe('2/5');
  });
});

describe('what a template renders', () => {
  it('is trimmed, and only the parts it has', async () => {
    expect(await render('  {{ name }}  ')).toEqual({ wording: { title: 'checkout' } });
    const t = await compileTemplate({ text: '{{ namespace }}' }, 'f.yaml: t');
    expect(t.render(templateVars(event, undefined, undefined))).toEqual({ wording: { text: 'shop' } });
  });

  it('may be exactly as long as a part allows, not one character more', async () => {
    const max = RENDERED_MAX.title;
    expect(await render(`{{ "${'x'.repeat(max)}" }}`)).toEqual({ wording: { title: 'x'.repeat(max) } });
    expect(await render(`{{ "${'x'.repeat(max + 1)}" }}`)).toEqual({
      error: `f.yaml: routes.0.template.title (line 3): renders ${max + 1} characters, over the ${max} a message part may have`,
    });
  });
});
