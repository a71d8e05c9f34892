import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

// "Authentication with the Bot Connector API", Bot Framework REST API (learn.microsoft.com): a
// request from the Bot Connector carries a JWT signed by keys listed in this OpenID metadata,
// issued by https://api.botframework.com for the bot's app id, with the activity's serviceUrl as
// a claim; its keys are cached (the metadata says to refresh them daily).
export const BOT_OPENID_URL = 'https://login.botframework.com/v1/.well-known/openidconfiguration';
const ISSUER = 'https://api.botframework.com';
const KEYS_FOR_MS = 24 * 3600_000;
const SKEW_SECONDS = 5 * 60;

export type TeamsCheck = 'ok' | 'missing' | 'invalid' | 'expired' | 'wrong-audience' | 'wrong-service-url';

/**
 * A verifier for the bearer token on POST /teams/messages: RS256 only, the issuer, the app id as
 * audience, expiry with 5 minutes' skew, and the serviceUrl claim equal to the activity's.
 */
export function botFrameworkVerifier(o: {
  appId: string;
  openIdUrl?: string;
  timeoutMs?: number;
  now?: () => number;
}) {
  let keys: { set: ReturnType<typeof createRemoteJWKSet>; at: number } | undefined;
  const now = o.now ?? Date.now;
  const jwks = async () => {
    if (keys && now() - keys.at < KEYS_FOR_MS) return keys.set;
    const res = await fetch(o.openIdUrl ?? BOT_OPENID_URL, {
      signal: AbortSignal.timeout(o.timeoutMs ?? 3000),
    });
    if (!res.ok) throw new Error(`Bot Framework OpenID metadata answered ${res.status}`);
    const meta = (await res.json()) as { jwks_uri?: unknown };
    if (typeof meta.jwks_uri !== 'string') throw new Error('Bot Framework OpenID metadata has no jwks_uri');
    keys = {
      set: createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: o.timeoutMs ?? 3000 }),
      at: now(),
    };
    return keys.set;
  };
  return async (authorization: string | undefined, serviceUrl: unknown): Promise<TeamsCheck> => {
    const m = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(authorization ?? '');
    if (!m) return 'missing';
    try {
      const { payload } = await jwtVerify(m[1] as string, await jwks(), {
        issuer: ISSUER,
        audience: o.appId,
        algorithms: ['RS256'],
        clockTolerance: SKEW_SECONDS,
        currentDate: new Date(now()),
      });
      return typeof serviceUrl === 'string' && payload.serviceurl === serviceUrl ? 'ok' : 'wrong-service-url';
    } catch (err) {
      if (err instanceof errors.JWTExpired) return 'expired';
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') return 'wrong-audience';
      if (err instanceof errors.JOSEError) return 'invalid';
      // The keys could not be read: refused (closed when in doubt), and the caller logs why.
      throw err;
    }
  };
}
