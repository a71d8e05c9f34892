import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Env } from '../env';
import { ConfigError } from '../errors';
import { PROVIDERS, parseChannels } from '../providers/catalog';
import type { Provider } from '../providers/provider';

/** What a deploy builds when nothing says otherwise: the two providers flagger-notify began with. */
export const DEFAULT_PROVIDERS = ['slack', 'teams'];

/**
 * The providers a deploy (or `npm start`) builds resources for: `CHANNELS` when set; else every
 * provider whose URL variable (or its `_PARAM`) is set, plus the types of a CONFIG_FILE's
 * destinations; else the default pair. Unused providers cost nothing deployed.
 */
export function selectProviders(env: Env): Provider[] {
  const named = parseChannels(env.CHANNELS);
  if (named) return named;
  const wanted = new Set(routingFileTypes(env.CONFIG_FILE));
  for (const p of PROVIDERS) if (env[p.on] || env[`${p.on}_PARAM`]) wanted.add(p.id);
  if (!wanted.size) for (const id of DEFAULT_PROVIDERS) wanted.add(id);
  return PROVIDERS.filter((p) => wanted.has(p.id));
}

/** Destination types named in a routing file; only the types, so no secret needs to be set here. */
function routingFileTypes(file: string | undefined): string[] {
  if (!file) return [];
  let doc: { destinations?: Record<string, { type?: unknown }> };
  try {
    doc = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (e) {
    throw new ConfigError(`CONFIG_FILE: cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  return Object.values(doc.destinations ?? {}).flatMap((d) => (typeof d?.type === 'string' ? [d.type] : []));
}
