import type { Access } from '../config/clusters';
import { isClusterName } from '../event/event';
import { presentedToken, tokenMatches } from './auth';

export type { Access };

const DNS_LABEL = 'must be a DNS label (lower-case letters, digits and -, at most 63)';

/**
 * The caller, by its token: `{}` for the shared token (or an open local stack), `{ cluster }` for
 * a cluster's own token, undefined when refused. Every token is compared, in constant time.
 */
export function identify(
  access: Access,
  query: Record<string, string | undefined>,
  authorization: string | undefined,
): { cluster?: string } | undefined {
  const own = Object.entries(access.clusterTokens ?? {});
  if (!access.tokens.length && !own.length) return {};
  const token = presentedToken(query, authorization);
  let cluster: string | undefined;
  for (const [c, t] of own) if (tokenMatches(token, [t])) cluster = c;
  if (cluster) return { cluster };
  return tokenMatches(token, access.tokens) ? {} : undefined;
}

export type ClusterAnswer = { cluster?: string } | { status: 400 | 403; error: string };

/**
 * The event's cluster: its token's, else `?cluster=`, else a per-canary webhook's
 * `metadata.cluster`. A cluster's token cannot speak for another (403); a name that is not a DNS
 * label, not among the known clusters, or two names that disagree are refused (400).
 */
export function resolveCluster(
  access: Access,
  caller: { cluster?: string },
  asked: { query?: string; metadata?: unknown },
): ClusterAnswer {
  const named: [string, string][] = [];
  if (asked.query !== undefined) named.push(['cluster', asked.query]);
  if (asked.metadata !== undefined) named.push(['metadata.cluster', String(asked.metadata)]);
  for (const [field, value] of named) {
    if (!isClusterName(value)) return { status: 400, error: `${field}: ${DNS_LABEL}` };
    if (caller.cluster && value !== caller.cluster)
      return {
        status: 403,
        error: `${field}: this token belongs to cluster ${caller.cluster}, not ${value}`,
      };
  }
  const [first, second] = named;
  if (first && second && first[1] !== second[1])
    return { status: 400, error: `metadata.cluster: ${second[1]} differs from ?cluster=${first[1]}` };
  const cluster = caller.cluster ?? first?.[1];
  if (cluster && access.clusters?.length && !access.clusters.includes(cluster))
    return { status: 400, error: `cluster: ${cluster} is not a known cluster (CLUSTERS)` };
  return cluster ? { cluster } : {};
}
