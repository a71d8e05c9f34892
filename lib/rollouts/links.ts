import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CanaryRef } from '../event/event';

/**
 * A rollout page's path: the canary and its rollout's start (Flagger's timestamp, ms), under its
 * cluster in a fleet (`/clusters/prod-eu/rollouts/…`).
 */
export const rolloutPath = (c: CanaryRef, startedAt: number): string =>
  `${c.cluster ? `/clusters/${c.cluster}` : ''}/rollouts/${c.namespace}/${c.name}/${startedAt}`;

// Links stay valid this long after they are drawn; a live message redraws (and re-signs) its
// link with every update, so its link lasts 30 days past the rollout's end.
export const LINK_DAYS = 30;

const mac = (secret: string, path: string, exp: number) =>
  createHmac('sha256', secret).update(`${path}\n${exp}`).digest('base64url');

/**
 * Which secret signed a link, in 8 characters that tell nothing about it: a link from before a
 * rotation (or from an earlier npm start, which draws a secret per run) says so, not "tampered".
 */
export const keyId = (secret: string): string =>
  createHmac('sha256', secret).update('flagger-notify link key').digest('base64url').slice(0, 8);

/**
 * A signed link: the path, an expiry (epoch seconds) and an HMAC-SHA256 over both with a secret
 * only the stack knows. No login: whoever has the link sees that one rollout until it expires.
 */
export function signedLink(secret: string, base: string, path: string, now = Date.now()): string {
  const exp = Math.floor(now / 1000) + LINK_DAYS * 24 * 3600;
  // A path may carry a signed query of its own (the fleet page's scope): the signature covers it.
  const join = path.includes('?') ? '&' : '?';
  return `${base.replace(/\/+$/, '')}${path}${join}exp=${exp}&sig=${mac(secret, path, exp)}&k=${keyId(secret)}`;
}

export type LinkCheck = 'ok' | 'missing' | 'tampered' | 'expired' | 'signed-elsewhere';

/** Checks a link's signature (constant time) and expiry; says which part failed. */
export function checkLink(
  secret: string,
  path: string,
  exp: string | undefined,
  sig: string | undefined,
  now = Date.now(),
  k?: string,
): LinkCheck {
  if (!exp || !sig) return 'missing';
  if (!/^\d{1,12}$/.test(exp) || !/^[\w-]{43}$/.test(sig)) return 'tampered';
  const want = Buffer.from(mac(secret, path, Number(exp)));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return k && k !== keyId(secret) ? 'signed-elsewhere' : 'tampered';
  return Number(exp) * 1000 <= now ? 'expired' : 'ok';
}
