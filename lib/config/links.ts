import * as z from 'zod/mini';
import type { LinkSettings } from '../delivery/story';
import { type Env, isDeployed, optionalEnv, parseEnv } from '../env';

/**
 * LINK_SECRET signs the rollout pages' links (an SSM SecureString when deployed, `link-secret`);
 * PUBLIC_URL is where the pages are served (the stack's API URL unless a custom domain is set).
 * Without a secret, messages carry no page link.
 */
export function loadLinks(env: Env): LinkSettings | undefined {
  const e = parseEnv(
    z.object({
      LINK_SECRET: optionalEnv(z.string().check(z.minLength(32, 'must be at least 32 characters'))),
      PUBLIC_URL: optionalEnv(
        z.url({
          protocol: isDeployed(env) ? /^https$/ : /^https?$/,
          error: 'must be an http(s) URL (https when deployed)',
        }),
      ),
    }),
    env,
    'rollout pages',
  );
  if (!e.LINK_SECRET) return undefined;
  if (!e.PUBLIC_URL) return undefined;
  return { secret: e.LINK_SECRET, base: e.PUBLIC_URL };
}
