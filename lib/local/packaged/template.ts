import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CloudFormation resource as `serverless package` writes it. */
export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
export interface Template {
  Resources: Record<string, Resource>;
}

/** Where the packaged stack "is": the account, region and the local addresses its Refs become. */
export interface Place {
  region: string;
  account: string;
  /** Base of every queue URL (`<base>/<name>`): the IAM-checking AWS endpoint. */
  queueBase: string;
  /** What `HttpApi.ApiEndpoint` resolves to: the local HTTP API. */
  apiEndpoint: string;
}

export const readTemplate = (dir: string): Template =>
  JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));

/**
 * The template's intrinsic functions resolved as CloudFormation would for a stack at `place`:
 * Ref, Fn::GetAtt, Fn::Sub and Fn::Join, for the resource types this stack declares. Anything
 * else throws, naming it: a test must not pass because a value silently resolved to nothing.
 */
export function resolver(t: Template, place: Place) {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${place.region}:${place.account}:${resource}`;
  const resource = (id: string): Resource => {
    const r = t.Resources[id];
    if (!r) throw new Error(`template: no resource ${id}`);
    return r;
  };
  const name = (id: string, key: string) => String(resource(id).Properties[key] ?? id);

  const ref = (id: string): string => {
    const pseudo: Record<string, string> = {
      'AWS::Region': place.region,
      'AWS::AccountId': place.account,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[id]) return pseudo[id];
    const r = resource(id);
    if (r.Type === 'AWS::SQS::Queue') return `${place.queueBase}/${name(id, 'QueueName')}`;
    if (r.Type === 'AWS::DynamoDB::Table') return name(id, 'TableName');
    if (r.Type === 'AWS::Lambda::Function') return name(id, 'FunctionName');
    return id;
  };
  const getAtt = (id: string, attr: string): string => {
    const r = resource(id);
    const key = `${r.Type}.${attr}`;
    switch (key) {
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', name(id, 'QueueName'));
      case 'AWS::SQS::Queue.QueueName':
        return name(id, 'QueueName');
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${name(id, 'TableName')}`);
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${place.account}:role/${id}`;
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${name(id, 'FunctionName')}`);
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return place.apiEndpoint;
      default:
        throw new Error(`template: cannot resolve Fn::GetAtt ${id}.${attr} locally`);
    }
  };
  const sub = (text: string, vars: Record<string, unknown> = {}): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_, v: string) => {
      if (v in vars) return resolve(vars[v]) as string;
      const dot = v.indexOf('.');
      return dot > 0 && !v.startsWith('AWS::') ? getAtt(v.slice(0, dot), v.slice(dot + 1)) : ref(v);
    });

  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = o[k];
      if (k === 'Ref') return ref(String(arg));
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        return getAtt(String(id), String(attr));
      }
      if (k === 'Fn::Sub')
        return Array.isArray(arg) ? sub(String(arg[0]), arg[1] as Record<string, unknown>) : sub(String(arg));
      if (k === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return (parts.map(resolve) as string[]).join(sep);
      }
      if (k.startsWith('Fn::')) throw new Error(`template: ${k} is not resolved locally`);
    }
    return Object.fromEntries(Object.entries(o).map(([key, val]) => [key, resolve(val)]));
  };
  return resolve;
}

export const ofType = (t: Template, type: string): [string, Resource][] =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** `{"Fn::GetAtt": ["SlackRole", "Arn"]}` → `SlackRole`: which resource a property points at. */
export const targetOf = (v: unknown): string => {
  const o = v as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
  const id = o?.['Fn::GetAtt']?.[0] ?? o?.Ref;
  if (!id) throw new Error(`template: expected a Ref or Fn::GetAtt, got ${JSON.stringify(v)}`);
  return id;
};
