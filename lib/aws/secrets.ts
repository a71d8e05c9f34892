import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { Env } from '../env';
import { ConfigError } from '../errors';

export type SecretFetcher = (parameterName: string) => Promise<string | undefined>;

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
  return async (name) => {
    try {
      return (await (await ssm()).get(name, { decrypt: true, maxAge: 300 })) ?? undefined;
    } catch (err) {
      if ((err as { cause?: { name?: string } }).cause?.name === 'ParameterNotFound') return undefined;
      throw err;
    }
  };
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
  const out: Env = { ...env };
  await Promise.all(
    secrets.map(async ({ name, optional }) => {
      const param = env[`${name}_PARAM`];
      if (env[name] || !param) return;
      let value: string | undefined;
      try {
        value = await fetch(param);
      } catch (err) {
        throw new ConfigError(`${name}_PARAM: cannot read SSM parameter ${param}: ${(err as Error).name}`);
      }
      if (!value && !optional)
        throw new ConfigError(`${name}_PARAM: SSM parameter ${param} is missing or empty`);
      if (value) out[name] = value;
    }),
  );
  return out;
}

/** Starts the async part of a cold start at once; every invocation awaits it, a failure is rethrown. */
export function coldStart<T>(init: () => Promise<T>): () => Promise<T> {
  const ready = init();
  ready.catch(() => {}); // reported on use, not as an unhandled rejection
  return () => ready;
}
