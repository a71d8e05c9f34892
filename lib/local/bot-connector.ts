import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';

/**
 * Stand-ins for the Microsoft side of a Teams bot, in memory, for npm start and the tests: the
 * token endpoint (client credentials), the Bot Connector (post, update and reply to activities;
 * read a member) and the Bot Framework's OpenID issuer, whose test key signs the inbox's clicks
 * as Teams would. Each refuses what the real one refuses: a call without the token it issued
 * (401), an update of an activity it never saw (404), a token request without credentials (400).
 */
export function botConnectorStandIn(appId: string) {
  const token = `inbox-teams-token-${randomUUID()}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const activities = new Map<string, unknown>();
  let n = 0;
  const self = {
    token,
    calls: [] as { method: string; path: string; auth?: string }[],
    activities,
    /** The issuer's OpenID metadata and keys (TEAMS_OPENID_URL points at `<base>/openid`). */
    openid: (base: string) => ({
      issuer: 'https://api.botframework.com',
      jwks_uri: `${base}/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
    }),
    async keys() {
      return { keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' }] };
    },
    /** A Bot Framework token as Teams sends with an activity: for `appId`, from `serviceUrl`. */
    sign(serviceUrl: string, o: { audience?: string; expiresIn?: string; key?: typeof privateKey } = {}) {
      return new SignJWT({ serviceurl: serviceUrl })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer('https://api.botframework.com')
        .setAudience(o.audience ?? appId)
        .setIssuedAt()
        .setExpirationTime(o.expiresIn ?? '5m')
        .sign(o.key ?? privateKey);
    },
    /**
     * Answers one call. `path` is after the stand-in's base: `token`, `v3/conversations/{c}/…`.
     * `kind` says what the inbox shows: a new card, its update, or a reply to it.
     */
    handle(
      method: string,
      path: string[],
      body: unknown,
      auth?: string,
    ): {
      status: number;
      json: unknown;
      shown?: { kind: 'message' | 'update' | 'reply'; id: string; parent?: string };
    } {
      self.calls.push({ method, path: path.join('/'), ...(auth ? { auth } : {}) });
      if (path[0] === 'token') {
        const form = new URLSearchParams(typeof body === 'string' ? body : '');
        if (
          form.get('grant_type') !== 'client_credentials' ||
          form.get('client_id') !== appId ||
          !form.get('client_secret')
        )
          return { status: 400, json: { error: 'invalid_client' } };
        return { status: 200, json: { token_type: 'Bearer', expires_in: 3600, access_token: token } };
      }
      if (auth !== `Bearer ${token}`)
        return { status: 401, json: { message: 'Authorization has been denied for this request.' } };
      const [v3, conversations, , what, id] = path;
      if (v3 !== 'v3' || conversations !== 'conversations') return { status: 404, json: {} };
      if (what === 'members' && method === 'GET')
        return {
          status: 200,
          json: { id, name: 'you', userPrincipalName: 'you@inbox.local', email: 'you@inbox.local' },
        };
      if (what !== 'activities') return { status: 404, json: {} };
      if (method === 'POST' && !id) {
        const created = `inbox-activity-${++n}`;
        activities.set(created, body);
        return { status: 201, json: { id: created }, shown: { kind: 'message', id: created } };
      }
      if (!id || !activities.has(id)) return { status: 404, json: { error: { code: 'ActivityNotFound' } } };
      if (method === 'PUT') {
        activities.set(id, body);
        return { status: 200, json: { id }, shown: { kind: 'update', id } };
      }
      const reply = `inbox-activity-${++n}`;
      return { status: 201, json: { id: reply }, shown: { kind: 'reply', id: reply, parent: id } };
    },
  };
  return self;
}
export type BotConnectorStandIn = ReturnType<typeof botConnectorStandIn>;
