import { ofType, type Template, targetOf } from './template';

export interface Statement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

/** One AWS call as IAM judges it: who, what, on which resource. */
export interface Call {
  role: string;
  action: string;
  resource: string;
}

/** `*` and `?` wildcards as IAM reads them in actions (case-insensitive) and resources. */
export function iamMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

type RawStatement = Record<string, unknown>;
const list = (v: unknown): string[] => (v === undefined ? [] : [v].flat().map(String));

function statement(s: RawStatement, where: string): Statement {
  // Only what this stack's policies use; anything else would be evaluated wrongly, so say so.
  for (const key of ['NotAction', 'NotResource', 'Condition', 'Principal'])
    if (key in s) throw new Error(`${where}: ${key} is not evaluated by the local IAM check`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`${where}: Effect must be Allow or Deny`);
  return { effect: s.Effect, actions: list(s.Action), resources: list(s.Resource) };
}

/**
 * Every role's identity-based policy statements, as a resolved template grants them: the role's
 * inline policies and each AWS::IAM::Policy attached to it. `resolve` turns the template's
 * intrinsic functions into ARNs.
 */
export function rolePolicies(t: Template, resolve: (v: unknown) => unknown): Map<string, Statement[]> {
  const roles = new Map<string, Statement[]>();
  for (const [id, r] of ofType(t, 'AWS::IAM::Role')) {
    if (r.Properties.ManagedPolicyArns) throw new Error(`${id}: managed policies are not evaluated locally`);
    const inline = (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: RawStatement[] } }[];
    roles.set(
      id,
      inline.flatMap((p) =>
        (resolve(p.PolicyDocument.Statement) as RawStatement[]).map((s) => statement(s, id)),
      ),
    );
  }
  for (const [id, p] of ofType(t, 'AWS::IAM::Policy')) {
    const doc = p.Properties.PolicyDocument as { Statement: RawStatement[] };
    for (const role of (p.Properties.Roles as unknown[]).map(targetOf)) {
      const statements = roles.get(role);
      if (!statements) throw new Error(`${id}: attached to unknown role ${role}`);
      statements.push(...(resolve(doc.Statement) as RawStatement[]).map((s) => statement(s, id)));
    }
  }
  return roles;
}

/**
 * IAM's evaluation for one identity-based policy set: an explicit Deny wins, then an Allow; with
 * neither the call is implicitly denied. The message is AWS's own wording, so a log line reads
 * as it would in CloudWatch.
 */
export function authorize(
  statements: readonly Statement[],
  call: Call,
): { allowed: true } | { allowed: false; message: string } {
  const applies = (s: Statement) =>
    s.actions.some((a) => iamMatch(a, call.action, true)) &&
    s.resources.some((r) => iamMatch(r, call.resource));
  const who = `arn:aws:sts::000000000000:assumed-role/${call.role}/local`;
  if (statements.some((s) => s.effect === 'Deny' && applies(s)))
    return {
      allowed: false,
      message: `User: ${who} is not authorized to perform: ${call.action} on resource: ${call.resource} with an explicit deny in an identity-based policy`,
    };
  if (statements.some((s) => s.effect === 'Allow' && applies(s))) return { allowed: true };
  return {
    allowed: false,
    message: `User: ${who} is not authorized to perform: ${call.action} on resource: ${call.resource} because no identity-based policy allows the ${call.action} action`,
  };
}
