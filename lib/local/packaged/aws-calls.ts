/**
 * What IAM authorizes for one AWS API request, from its JSON protocol target and body: the
 * action (`sqs:DeleteMessage` for a DeleteMessageBatch, as the SQS docs say batch actions are
 * authorized) and every resource it touches (each parameter of a GetParameters, each table of a
 * batch, an index as `table/T/index/I`). An operation not known here is refused by the caller,
 * so a new call cannot slip through unjudged.
 */
export interface Needed {
  action: string;
  resource: string;
}

const SQS_BATCH: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

export function neededFor(
  service: string,
  op: string,
  body: Record<string, unknown>,
  at: { region: string; account: string },
): Needed[] | undefined {
  const arn = (svc: string, resource: string) => `arn:aws:${svc}:${at.region}:${at.account}:${resource}`;
  if (service === 'sqs') {
    const url = String(body.QueueUrl ?? '');
    const name = op === 'GetQueueUrl' || op === 'CreateQueue' ? String(body.QueueName) : url.split('/').pop();
    if (!name) return undefined;
    return [{ action: `sqs:${SQS_BATCH[op] ?? op}`, resource: arn('sqs', name) }];
  }
  if (service === 'dynamodb') {
    const table = (name: unknown, index?: unknown) =>
      arn('dynamodb', `table/${String(name)}${index ? `/index/${String(index)}` : ''}`);
    if (op === 'BatchGetItem' || op === 'BatchWriteItem')
      return Object.keys((body.RequestItems ?? {}) as object).map((t) => ({
        action: `dynamodb:${op}`,
        resource: table(t),
      }));
    if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
      const items = (body.TransactItems ?? []) as Record<string, { TableName: string }>[];
      const ACTION: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return items.flatMap((item) =>
        Object.entries(item).map(([kind, v]) => ({
          action: `dynamodb:${ACTION[kind] ?? kind}`,
          resource: table(v.TableName),
        })),
      );
    }
    if (!body.TableName) return undefined;
    return [{ action: `dynamodb:${op}`, resource: table(body.TableName, body.IndexName) }];
  }
  if (service === 'ssm') {
    const param = (n: unknown) => arn('ssm', `parameter${String(n).startsWith('/') ? '' : '/'}${String(n)}`);
    if (op === 'GetParameters')
      return ((body.Names ?? []) as string[]).map((n) => ({
        action: 'ssm:GetParameters',
        resource: param(n),
      }));
    if (op === 'GetParameter') return [{ action: 'ssm:GetParameter', resource: param(body.Name) }];
    return undefined;
  }
  return undefined;
}
