import { describe, expect, it } from 'vitest';
import { TUNING } from '../../lib/infra/stack';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/catalog';
import { envDestination } from '../../lib/providers/destination';
import { fixtures } from '../helpers/fixtures';

// What every provider promises, checked for each catalog entry so a new one cannot skip it.
// A live provider keeps rollout state; a store that is never called is enough to start.
const store = { get: async () => undefined, put: async () => 1, failing: async () => [] };
const local = { deployed: false, extraAllowedHosts: [], store };
const deployed = { deployed: true, extraAllowedHosts: [], store };

// A well-formed value of the variable that turns each token-based provider on.
const ON: Record<string, string> = {
  telegram: '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp',
  pagerduty: 'R0UT1NGKEY00000000000000000000ab',
};

describe.each(PROVIDERS.map((p) => [p.id, p] as const))('provider %s', (id, p) => {
  // The URL it posts to: the webhook itself, or an API base URL next to a token.
  const urlVar = (p.env.url ?? p.env.apiUrl ?? p.env.serviceUrl) as string;
  const withUrl = (url: string) =>
    envDestination(p, {
      [p.on]: ON[p.id] ?? 'xoxb-0000-token-0000000000',
      [urlVar]: url,
      SLACK_CHANNEL_ID: 'C0123456789',
      WEBEX_ROOM_ID: 'Y2lzY29zcGFyazovL3VzL1JPT00vdGVzdA',
      TELEGRAM_CHAT_ID: '-1001234567890',
      TEAMS_APP_ID: '00000000-0000-4000-8000-00000000b07e',
      TEAMS_TENANT_ID: 'contoso.onmicrosoft.com',
      TEAMS_CONVERSATION_ID: '19:abc@thread.tacv2',
    });
  it('has a unique id fit for queue, function and env names, and a URL variable that is a secret', () => {
    expect(id).toMatch(/^[a-z][a-z0-9-]{1,30}$/);
    expect(PROVIDER_IDS.filter((x) => x === id)).toHaveLength(1);
    expect(p.secrets).toContain(p.on);
    expect(urlVar).toMatch(/_URL$/);
    // The routing file and the environment name the same options.
    expect(Object.keys(p.options.shape).sort()).toEqual(Object.keys(p.env).sort());
  });

  it('refuses to start without the variable that turns it on, naming it', () => {
    expect(() => p.create(envDestination(p, {}), local)).toThrow(new RegExp(`^${p.on}: is not set$`));
  });

  it('refuses plain http in a deployed stage without quoting the URL', () => {
    const d = withUrl('http://example.com/SECRETPATH');
    let message = '';
    try {
      p.create(d, { ...deployed, extraAllowedHosts: ['example.com'] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`${urlVar}: must be https in a deployed stage`);
  });

  it('refuses a host outside its own and WEBHOOK_ALLOWED_HOSTS in a deployed stage', () => {
    const d = withUrl('https://attacker.example/SECRETPATH');
    expect(() => p.create(d, deployed)).toThrow(
      `${urlVar}: host attacker.example is not an allowed webhook host`,
    );
    expect(() => p.create(d, { ...deployed, extraAllowedHosts: ['attacker.example'] })).not.toThrow();
  });

  it('previews a JSON payload for every sample event', () => {
    for (const e of fixtures) expect(() => JSON.stringify(p.preview(e))).not.toThrow();
  });
});

// Each platform's documented per-destination limit, per minute (docs/providers.md): pacing times
// the instances that may run at once must stay inside it, or steady traffic earns 429s.
const LIMIT_PER_MINUTE: Record<string, number> = {
  slack: 60, // incoming webhooks: about 1 message a second
  teams: 120, // Workflows: 60 per 30 s
  discord: 30, // 30 messages a minute per channel
  googlechat: 60, // 60 writes a minute per space, shared
  rocketchat: 10, // REST rate limiter default: 10 calls a minute per route
};

describe('pacing against each platform’s documented limit', () => {
  it.each(Object.entries(LIMIT_PER_MINUTE))('%s: instances × pacing ≤ %i a minute', (id, limit) => {
    const p = PROVIDERS.find((x) => x.id === id);
    expect(p).toBeDefined();
    expect((TUNING.maximumConcurrency * 60_000) / (p?.minIntervalMs ?? 0)).toBeLessThanOrEqual(limit);
  });
});
