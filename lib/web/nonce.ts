import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// A page's Approve / Roll back form is good for an hour after the page was drawn.
export const NONCE_SECONDS = 3600;

const mac = (secret: string, path: string, rand: string, at: string) =>
  createHmac('sha256', secret).update(`form\n${path}\n${rand}\n${at}`).digest('base64url');

/**
 * A form's one-time nonce: random, its time, and an HMAC over both and the page's path. Drawing
 * the page writes nothing (a GET never changes state); the nonce is remembered when it is used,
 * so the same form cannot be sent twice.
 */
export function formNonce(secret: string, path: string, now = Date.now()): string {
  const rand = randomBytes(12).toString('base64url');
  const at = String(Math.floor(now / 1000));
  return `${rand}.${at}.${mac(secret, path, rand, at)}`;
}

export type NonceCheck = 'ok' | 'missing' | 'tampered' | 'expired';

/** Whether the nonce was drawn by this stack for this page, within the hour (constant time). */
export function checkNonce(
  secret: string,
  path: string,
  nonce: string | undefined,
  now = Date.now(),
): NonceCheck {
  if (!nonce) return 'missing';
  const m = /^([\w-]{16})\.(\d{1,12})\.([\w-]{43})$/.exec(nonce);
  if (!m) return 'tampered';
  const [, rand, at, sig] = m as unknown as [string, string, string, string];
  const want = Buffer.from(mac(secret, path, rand, at));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'tampered';
  return now / 1000 - Number(at) > NONCE_SECONDS ? 'expired' : 'ok';
}
