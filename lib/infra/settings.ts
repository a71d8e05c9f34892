import type { Env } from '../env';
import type { Provider } from '../providers/provider';

export type Json = Record<string, unknown>;
export const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });
export const ssmArn = (name: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`,
});
export const logsArn = (fn: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${fn}:*`,
});
export const assumeLambda = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** `DISCORD_WEBHOOK_URL` → `/flagger-notify/prod/discord-webhook-url`, unless `<VAR>_PARAM` names another. */
export const secretParam = (service: string, stage: string, name: string, env: Env): string =>
  env[`${name}_PARAM`] || `/${service}/${stage}/${name.toLowerCase().replace(/_/g, '-')}`;

/**
 * What a function needs to reach a provider's destinations: its secrets by SSM parameter name
 * (deployed; never a value) or value (local stage), its options from the deployer's environment,
 * and the settings every destination shares. `params` are the parameters it may read.
 */
export function providerSettings(
  p: Provider,
  input: { service: string; stage: string; env: Env },
): { environment: Record<string, unknown>; params: string[] } {
  const { service, stage, env } = input;
  const local = stage === 'local';
  const environment: Record<string, unknown> = {};
  const params: string[] = [];
  for (const name of p.secrets) {
    const param = local ? '' : secretParam(service, stage, name, env);
    environment[name] = local ? (env[name] ?? '') : '';
    environment[`${name}_PARAM`] = param;
    params.push(param);
  }
  for (const name of Object.values(p.env)) if (!p.secrets.includes(name)) environment[name] = env[name] ?? '';
  // The rollout pages' link secret (SSM when deployed) and where the pages are served: the
  // stack's own API unless PUBLIC_URL names a custom domain (docs/rollout-page.md).
  const linkParam = local ? '' : secretParam(service, stage, 'LINK_SECRET', env);
  if (linkParam) params.push(linkParam);
  Object.assign(environment, {
    LINK_SECRET: local ? (env.LINK_SECRET ?? '') : '',
    LINK_SECRET_PARAM: linkParam,
    PUBLIC_URL: env.PUBLIC_URL || (local ? '' : getAtt('HttpApi', 'ApiEndpoint')),
    // Rollout state for milestones and live messages; npm start points it at dynalite.
    STATE_TABLE: local ? (env.STATE_TABLE ?? '') : { Ref: 'StateTable' },
    EVENTS: env.EVENTS ?? '',
    // The workers' tuning (README "Configuration"), given at deploy time like any option.
    MIN_INTERVAL_MS: env.MIN_INTERVAL_MS ?? '',
    RETRY_BASE_SECONDS: env.RETRY_BASE_SECONDS ?? '',
    RETRY_CAP_SECONDS: env.RETRY_CAP_SECONDS ?? '',
    RETRY_WINDOW_SECONDS: env.RETRY_WINDOW_SECONDS ?? '',
    DASHBOARD_URL: env.DASHBOARD_URL ?? '',
    WEBHOOK_ALLOWED_HOSTS: env.WEBHOOK_ALLOWED_HOSTS ?? '',
  });
  return { environment, params };
}

export interface StackInput {
  service: string;
  stage: string;
  providers: readonly Provider[];
  /** The deployer's environment: options to pass on, parameter name overrides, local secrets. */
  env: Env;
  /** SSM parameter holding the routing file ('' locally). */
  configParam: string;
  /** Local stage only: the embedded SQS emulator's port. */
  sqsPort?: string;
}
