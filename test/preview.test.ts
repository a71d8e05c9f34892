import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('npm run preview', () => {
  it('prints both payloads for an HTTP API sample and writes a page rendering them', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/preview.ts', 'events/ingest-failed.json'],
      { cwd: root, env: { ...process.env, DASHBOARD_URL: 'https://grafana.example/d/x?app={name}' } },
    );
    const printed = JSON.parse(stdout);
    expect(printed.slack.attachments[0].color).toBe('#d40e0d');
    expect(printed.teams.attachments[0].content.actions[0].url).toBe(
      'https://grafana.example/d/x?app=checkout',
    );
    expect(stderr).toContain('preview/ingest-failed.html');
    const html = readFileSync(resolve(root, 'preview/ingest-failed.html'), 'utf8');
    expect(html).toContain('Canary failed! Scaling down checkout.shop');
    expect(html).toContain('new AdaptiveCards.AdaptiveCard()');
    expect(html).toContain('border-color:#d40e0d');
  }, 30_000);
});
