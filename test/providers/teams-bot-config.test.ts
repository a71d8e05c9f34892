// The Teams bot's settings refused, each naming its variable and never quoting a secret.
import { describe, expect, it } from 'vitest';
import { envDestination } from '../../lib/providers/destination';
import { teamsBot } from '../../lib/providers/teams-bot';
import { teamsOpenIdUrl } from '../../lib/web/teams-setup';

const store = { get: async () => undefined, put: async () => 1, failing: async () => [] };
const GOOD = {
  TEAMS_APP_PASSWORD: 'client-secret-value-0123',
  TEAMS_APP_ID: '00000000-0000-4000-8000-00000000b07e',
  TEAMS_TENANT_ID: 'contoso.onmicrosoft.com',
  TEAMS_SERVICE_URL: 'https://smba.trafficmanager.net/emea/',
  TEAMS_CONVERSATION_ID: '19:abc@thread.tacv2',
};
const create = (env: Record<string, string>, deployed = true) =>
  teamsBot.create(envDestination(teamsBot, { ...GOOD, ...env }), { deployed, extraAllowedHosts: [], store });

describe('the Teams bot’s settings', () => {
  it('takes a complete set', () => {
    expect(() => create({})).not.toThrow();
  });

  it.each([
    [{ TEAMS_APP_ID: 'my-bot' }, 'TEAMS_APP_ID: must be the bot’s Microsoft App ID (a GUID)'],
    [{ TEAMS_APP_PASSWORD: 'short' }, 'TEAMS_APP_PASSWORD: must be the app’s client secret'],
    [{ TEAMS_TENANT_ID: '' }, 'TEAMS_TENANT_ID: is not set'],
    [{ TEAMS_TENANT_ID: 'a b' }, 'TEAMS_TENANT_ID: must be a tenant id (GUID) or domain'],
    [{ TEAMS_CONVERSATION_ID: '' }, 'TEAMS_CONVERSATION_ID: is not set'],
    [{ TEAMS_SERVICE_URL: '' }, 'TEAMS_SERVICE_URL: is not set'],
    [
      { TEAMS_SERVICE_URL: 'https://evil.example/' },
      'TEAMS_SERVICE_URL: host evil.example is not an allowed webhook host',
    ],
    [
      { TEAMS_TOKEN_URL: 'https://evil.example/token' },
      'TEAMS_TOKEN_URL: host evil.example is not an allowed webhook host',
    ],
    [{ TEAMS_APPROVERS: 'ana' }, 'TEAMS_APPROVERS: must be Entra object ids or UPNs'],
    [{ TEAMS_MIN_APPROVALS: '0' }, 'TEAMS_MIN_APPROVALS: must be from 1 to 10'],
  ])('refuses %o', (env, message) => {
    let said = '';
    try {
      create(env);
    } catch (e) {
      said = (e as Error).message;
    }
    expect(said).toContain(message);
    expect(said).not.toContain(GOOD.TEAMS_APP_PASSWORD);
  });

  it('needs the state table for its live card', () => {
    expect(() =>
      teamsBot.create(envDestination(teamsBot, GOOD), { deployed: true, extraAllowedHosts: [] }),
    ).toThrow('TEAMS_APP_PASSWORD: a Teams bot destination needs STATE_TABLE');
  });

  it('trusts only Microsoft’s issuer in a deployed stage; a stand-in’s locally', () => {
    expect(teamsOpenIdUrl({}, true)).toBe(
      'https://login.botframework.com/v1/.well-known/openidconfiguration',
    );
    expect(teamsOpenIdUrl({ TEAMS_OPENID_URL: 'http://127.0.0.1:1/openid' }, false)).toBe(
      'http://127.0.0.1:1/openid',
    );
    expect(() => teamsOpenIdUrl({ TEAMS_OPENID_URL: 'https://evil.example/openid' }, true)).toThrow(
      'TEAMS_OPENID_URL: a deployed stage trusts only https://login.botframework.com/v1/.well-known/openidconfiguration',
    );
    expect(() => teamsOpenIdUrl({ TEAMS_OPENID_URL: 'not a url' }, false)).toThrow(/TEAMS_OPENID_URL/);
  });
});
