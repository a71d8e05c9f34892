import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
export function tokenMatches(candidate: string | undefined, expected: string): boolean {
  return candidate !== undefined && timingSafeEqual(digest(candidate), digest(expected));
}

/** Flagger cannot send headers, so `?token=` is the usual carrier; Bearer suits curl and proxies. */
export function presentedToken(
  query: Record<string, string | undefined>,
  authorization: string | undefined,
): string | undefined {
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? query.token;
}
