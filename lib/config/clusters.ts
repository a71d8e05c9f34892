import * as z from 'zod/mini';
import { type Env, isDeployed, optionalEnv, parseEnv } from '../env';
import { ConfigError } from '../errors';
import { isClusterName } from '../event/event';

// A fleet's settings as ingest and the gates read them (docs/fleet.md).
const DNS_LABEL = 'must be a DNS label (lower-case letters, digits and -, at most 63)';

/** `prod-eu=token,prod-us=token` (commas or new lines): each cluster's own token. */
export const clusterTokensSchema = z.pipe(
  z.transform((v: unknown) =>
    String(v)
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean),
  ),
  z.pipe(
    z.array(
      z.string().check(
        z.regex(/^[^=]+=.+$/, 'must be cluster=token pairs'),
        z.refine((p) => isClusterName(p.split('=')[0]), `cluster names ${DNS_LABEL}`),
        z.refine((p) => p.slice(p.indexOf('=') + 1).length >= 16, 'tokens must be at least 16 characters'),
      ),
    ),
    z.transform((pairs) =>
      Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
    ),
  ),
);

export const clusterListSchema = z.pipe(
  z.transform((v: unknown) =>
    String(v)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
  z.array(z.string().check(z.refine((c) => isClusterName(c), `cluster names ${DNS_LABEL}`))),
);

/** The secrets `loadAccess` reads, for `resolveSecrets`: each optional, as a fleet may have either kind. */
export const ACCESS_SECRETS = [
  { name: 'INGEST_TOKEN', optional: true },
  { name: 'INGEST_TOKEN_PREVIOUS', optional: true },
  { name: 'INGEST_CLUSTER_TOKENS', optional: true },
] as const;

/** Who may post, and as which cluster: what ingest and the gates check each request against. */
export interface Access {
  /** The shared tokens (INGEST_TOKEN and, while rotating, INGEST_TOKEN_PREVIOUS). */
  tokens: string[];
  /** One token per cluster: the token decides the cluster (INGEST_CLUSTER_TOKENS). */
  clusterTokens?: Record<string, string>;
  /** The clusters a request may name (CLUSTERS and the token map's); absent: any DNS label. */
  clusters?: string[];
}

const token = optionalEnv(z.string().check(z.minLength(16, 'must be at least 16 characters')));
const accessSchema = z.object({
  INGEST_TOKEN: token,
  INGEST_TOKEN_PREVIOUS: token,
  INGEST_CLUSTER_TOKENS: optionalEnv(clusterTokensSchema),
  CLUSTERS: optionalEnv(clusterListSchema),
});

/** The tokens and clusters, checked once at cold start; a deployed stage is never open. */
export function loadAccess(env: Env): Access {
  const e = parseEnv(accessSchema, env, 'ingest tokens');
  const own = e.INGEST_CLUSTER_TOKENS;
  if (isDeployed(env) && !e.INGEST_TOKEN && !own) {
    // The ingest URL is public: a deployed stage without a token would let anyone post to chat.
    throw new ConfigError(
      `INGEST_TOKEN: required in a deployed stage (STAGE=${env.STAGE}), unless each cluster has its own (INGEST_CLUSTER_TOKENS)`,
    );
  }
  if (e.INGEST_TOKEN_PREVIOUS && !e.INGEST_TOKEN) {
    throw new ConfigError(
      'INGEST_TOKEN_PREVIOUS: set INGEST_TOKEN too (the previous token only eases a rotation)',
    );
  }
  const tokens = [e.INGEST_TOKEN, e.INGEST_TOKEN_PREVIOUS].filter((t): t is string => Boolean(t));
  const values = [...tokens, ...Object.values(own ?? {})];
  if (new Set(values).size !== values.length)
    throw new ConfigError('INGEST_CLUSTER_TOKENS: every cluster needs a token of its own, unlike the others');
  const clusters = [...new Set([...(e.CLUSTERS ?? []), ...Object.keys(own ?? {})])];
  return { tokens, ...(own ? { clusterTokens: own } : {}), ...(clusters.length ? { clusters } : {}) };
}
