import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { Env } from '../env';
import { ConfigError } from '../errors';

export interface SecretFetcher {
  (parameterName: string): Promise<string | undefined>;
  /** Several at once, in as few requests as SSM allows; a missing parameter is undefined. */
  many(parameterNames: string[]): Promise<Record<string, string | undefined>>;
}

/**
 * SSM Parameter Store SecureStrings, decrypted and cached by Powertools for 5 minutes, so a rotated
 * webhook URL or token is picked up without a deploy. SSM_ENDPOINT points tests at a fake.
 */
export function ssmFetcher(region: string, endpoint?: string): SecretFetcher {
  // The SSM client is the heaviest module a cold start can load (~16 ms): only when a secret is
  // actually read from SSM, never for configuration given in the environment.
  let provider: Promise<SSMProvider> | undefined;
  const ssm = () => {
    provider ??= import('@aws-lambda-powertools/parameters/ssm').then(
      (m) => new m.SSMProvider({ clientConfig: { region, ...(endpoint ? { endpoint } : {}) } }),
    );
    return provider;
  };
  const one = async (name: string) => {
    try {
      return (await (await ssm()).get(name, { decrypt: true, maxAge: 300 })) ?? undefined;
    } catch (err) {
      if ((err as { cause?: { name?: string } }).cause?.name === 'ParameterNotFound') return undefined;
      throw err;
    }
  };
  // One GetParameters request for a cold start's secrets (up to 10 names per request) instead of
  // one GetParameter each: every SDK request costs its signing and parsing on the cold path, and
  // a missing optional parameter is listed as invalid rather than thrown and caught.
  const many = async (names: string[]) => {
    const got = await (await ssm()).getParametersByName(Object.fromEntries(names.map((n) => [n, {}])), {
      decrypt: true,
      maxAge: 300,
      throwOnError: false,
    });
    return Object.fromEntries(names.map((n) => [n, (got[n] as string | undefined) ?? undefined]));
  };
  return Object.assign(one, { many });
}

/**
 * The secrets an environment says to read from SSM: each X whose `X_PARAM` names a parameter while
 * X itself is not given, as resolveSecrets reads them.
 */
export function secretParams(env: Env): { name: string; param: string }[] {
  return Object.entries(env).flatMap(([k, param]) => {
    const name = k.slice(0, -'_PARAM'.length);
    return k.endsWith('_PARAM') && param && !env[name] ? [{ name, param }] : [];
  });
}

/**
 * For each secret variable X: X itself when set (local, tests), else the SSM parameter named by
 * X_PARAM (deployed: the template holds only the parameter's name). An `optional` secret whose
 * parameter does not exist stays unset. Errors name the parameter, never a value.
 */
export async function resolveSecrets(
  env: Env,
  secrets: { name: string; optional?: boolean }[],
  fetch: SecretFetcher,
): Promise<Env> {
  // The secrets over the environment rather than a copy of it: every other variable is still read
  // from the environment itself, so what a function reads stays visible (lib/local/packaged).
  const out: Env = Object.create(env);
  const wanted = secrets.flatMap((s) => {
    const param = env[`${s.name}_PARAM`];
    return env[s.name] || !param ? [] : [{ ...s, param }];
  });
  if (!wanted.length) return out;
  const params = [...new Set(wanted.map((w) => w.param))];
  let values: Record<string, string | undefined>;
  try {
    values = await fetch.many(params);
  } catch (err) {
    const names = wanted.map((w) => `${w.name}_PARAM`).join(', ');
    throw new ConfigError(
      `${names}: cannot read SSM parameter${params.length > 1 ? 's' : ''} ${params.join(', ')}: ${(err as Error).name}`,
    );
  }
  for (const { name, param, optional } of wanted) {
    const value = values[param];
    if (!value && !optional)
      throw new ConfigError(`${name}_PARAM: SSM parameter ${param} is missing or empty`);
    if (value) out[name] = value;
  }
  return out;
}

/** Starts the async part of a cold start at once; every invocation awaits it, a failure is rethrown. */
export function coldStart<T>(init: () => Promise<T>): () => Promise<T> {
  const ready = init();
  ready.catch(() => {}); // reported on use, not as an unhandled rejection
  return () => ready;
}
