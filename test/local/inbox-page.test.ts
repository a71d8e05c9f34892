import { describe, expect, it } from 'vitest';
import { inboxHtml } from '../../lib/local/inbox-page';

describe('inbox page', () => {
  it('draws columns only for the providers that are on, live ones first, named for people', () => {
    const html = inboxHtml(['slack', 'discord']);
    const columns = JSON.parse(html.match(/const COLUMNS = (\[.*?\]);/)?.[1] ?? '[]');
    expect(columns.map((c: { title: string }) => c.title)).toEqual(['Discord', 'Slack']);
  });
});
