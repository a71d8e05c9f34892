import { describe, expect, it } from 'vitest';
import { inboxHtml } from '../../lib/local/inbox-page';
import { PROVIDER_IDS } from '../../lib/providers/catalog';

describe('inbox page', () => {
  it('draws columns only for the providers that are on, live ones first, named for people', () => {
    const html = inboxHtml(['slack', 'discord']);
    const columns = JSON.parse(html.match(/const COLUMNS = (\[.*?\]);/)?.[1] ?? '[]');
    expect(columns.map((c: { title: string }) => c.title)).toEqual(['Discord', 'Slack']);
  });

  it('ships scripts that parse, with every provider on (a look-alike cannot break the page)', () => {
    const html = inboxHtml(PROVIDER_IDS);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(1);
    for (const js of scripts) expect(() => new Function(js)).not.toThrow();
  });
});
