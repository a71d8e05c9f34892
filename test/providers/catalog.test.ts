import { describe, expect, it } from 'vitest';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/catalog';
import { envDestination } from '../../lib/providers/destination';
import { fixtures } from '../helpers/fixtures';

// What every provider promises, checked for each catalog entry so a new one cannot skip it.
// A live provider keeps rollout state; a store that is never called is enough to start.
const store = { get: async () => undefined, put: async () => 1, failing: async () => [] };
const local = { deployed: false, extraAllowedHosts: [], store };
const deployed = { deployed: true, extraAllowedHosts: [], store };

describe.each(PROVIDERS.map((p) => [p.id, p] as const))('provider %s', (id, p) => {
  // The URL it posts to: the webhook itself, or an API base URL next to a token.
  const urlVar = (p.env.url ?? p.env.apiUrl) as string;
  const withUrl = (url: string) =>
    envDestination(p, { [p.on]: 'xoxb-0000-token', [urlVar]: url, SLACK_CHANNEL_ID: 'C0123456789' });
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
