import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Hashing both sides first makes each comparison constant-time whatever the lengths, and every
 * valid token (current and previous, during a rotation) is compared, so timing does not say which.
 */
export function tokenMatches(candidate: string | undefined, valid: readonly string[]): boolean {
  if (candidate === undefined) return false;
  const c = digest(candidate);
  let ok = false;
  for (const t of valid) ok = timingSafeEqual(c, digest(t)) || ok;
  return ok;
}

/** Flagger cannot send headers, so `?token=` is the usual carrier; Bearer suits curl and proxies. */
export function presentedToken(
  query: Record<string, string | undefined>,
  authorization: string | undefined,
): string | undefined {
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? query.token;
}

/** What a refused request is told: where the token goes, never which one was expected. */
export const TOKEN_HELP = 'missing or invalid token: pass ?token=… or Authorization: Bearer …';
