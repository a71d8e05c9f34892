import * as z from 'zod/mini';
import { ConfigError } from './errors';
import { describeIssues } from './zod';

export type Env = Record<string, string | undefined>;

const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);

/** An optional env var: unset and empty both mean "not given" (serverless.yml passes `''`). */
export const optionalEnv = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(z.transform(blankToUndefined), z.optional(schema));

/** A whole number within bounds, from an env var. */
export const intFromEnv = (min: number, max: number) =>
  z
    .pipe(
      z.string(),
      z.transform((v) => Number(v)),
    )
    .check(
      z.refine(
        (n) => Number.isInteger(n) && n >= min && n <= max,
        `must be a whole number from ${min} to ${max}`,
      ),
    );

/** The same, or `fallback` when unset or empty: `X=` in a shell or .env means "the default", not an error. */
export const intEnv = (fallback: number, min: number, max: number) =>
  z.pipe(z.transform(blankToUndefined), z._default(intFromEnv(min, max), fallback));

/** Parse env with a schema; a failure names every bad variable and never quotes its value. */
export function parseEnv<T>(schema: z.ZodMiniType<T>, env: Env, what: string): T {
  const r = schema.safeParse(env);
  if (!r.success)
    throw new ConfigError(`invalid ${what} configuration: ${describeIssues(r.error.issues).join('; ')}`);
  return r.data;
}

/** A deployed stage (serverless.yml sets STAGE) is held to production rules: token, https, allow-list. */
export const isDeployed = (env: Env): boolean => Boolean(env.STAGE) && env.STAGE !== 'local';
