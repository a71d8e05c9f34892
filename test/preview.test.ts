import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROVIDER_IDS } from '../lib/providers/catalog';

const root = resolve(import.meta.dirname, '..');

describe('npm run preview', () => {
  it('prints every provider’s payload and the rollout’s live message, and writes a page rendering them', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/preview.ts', 'events/ingest-failed.json'],
      { cwd: root, env: { ...process.env, DASHBOARD_URL: 'https://grafana.example/d/x?app={name}' } },
    );
    const out = JSON.parse(stdout);
    const [printed] = out.events;
    // Every provider of the catalog, in its order.
    expect(Object.keys(printed)).toEqual([...PROVIDER_IDS]);
    expect(printed.slack.attachments[0].color).toBe('#d40e0d');
    expect(printed.teams.attachments[0].content.actions[0].url).toBe(
      'https://grafana.example/d/x?app=checkout',
    );
    expect(printed.webhook.kind).toBe('failed');
    expect(out.rollouts[0].thread).toEqual(['❌ Failed: Canary failed! Scaling down checkout.shop']);
    expect(stderr).toContain('preview/ingest-failed.html');
    const html = readFileSync(resolve(root, 'preview/ingest-failed.html'), 'utf8');
    expect(html).toContain('Canary failed! Scaling down checkout.shop');
    expect(html).toContain('new AdaptiveCards.AdaptiveCard()');
    expect(html).toContain('border-color:#d40e0d');
  }, 30_000);
});
