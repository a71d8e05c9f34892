import { describe, expect, it } from 'vitest';
import { neededFor } from '../../lib/local/packaged/aws-calls';
import { authorize, iamMatch, rolePolicies } from '../../lib/local/packaged/iam';
import { ssmStandIn } from '../../lib/local/packaged/ssm';
import { resolver, type Template } from '../../lib/local/packaged/template';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own syntax
const PARAMETERS = 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/prod/*';
const at = { region: 'eu-west-1', account: '123456789012' };
const template: Template = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'app-prod-slack.fifo' } },
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'app-prod-state' } },
    HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Policies: [
          {
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['sqs:ReceiveMessage'],
                  Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
                },
                {
                  Effect: 'Allow',
                  Action: 'dynamodb:Query',
                  Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Table', 'Arn'] }, '/index/failing']] },
                },
                {
                  Effect: 'Allow',
                  Action: 'ssm:GetParameters',
                  Resource: {
                    'Fn::Sub': PARAMETERS,
                  },
                },
                {
                  Effect: 'Deny',
                  Action: 'ssm:GetParameters',
                  Resource: 'arn:aws:ssm:*:*:parameter/app/prod/root',
                },
              ],
            },
          },
        ],
      },
    },
    Extra: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'Role' }],
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
          ],
        },
      },
    },
  },
};
const resolve = resolver(template, {
  ...at,
  queueBase: 'https://gate/123456789012',
  apiEndpoint: 'https://api',
});
const statements = rolePolicies(template, resolve).get('Role') ?? [];
const allowed = (action: string, resource: string) =>
  authorize(statements, { role: 'Role', action, resource }).allowed;

describe('the local IAM check', () => {
  it('resolves Refs, GetAtts, Subs and Joins as CloudFormation would for the stack’s place', () => {
    expect(resolve({ Ref: 'Queue' })).toBe('https://gate/123456789012/app-prod-slack.fifo');
    expect(resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe(
      'arn:aws:dynamodb:eu-west-1:123456789012:table/app-prod-state',
    );
    expect(resolve({ 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] })).toBe('https://api');
    expect(() => resolve({ 'Fn::ImportValue': 'x' })).toThrow('Fn::ImportValue is not resolved locally');
    expect(() => resolve({ 'Fn::GetAtt': ['Table', 'StreamArn'] })).toThrow('Table.StreamArn');
  });

  it('allows only what a statement grants, on the resource it names, with attached policies counted', () => {
    expect(allowed('sqs:ReceiveMessage', 'arn:aws:sqs:eu-west-1:123456789012:app-prod-slack.fifo')).toBe(
      true,
    );
    expect(allowed('sqs:SendMessage', 'arn:aws:sqs:eu-west-1:123456789012:app-prod-slack.fifo')).toBe(true);
    expect(allowed('sqs:DeleteMessage', 'arn:aws:sqs:eu-west-1:123456789012:app-prod-slack.fifo')).toBe(
      false,
    );
    expect(allowed('sqs:ReceiveMessage', 'arn:aws:sqs:eu-west-1:123456789012:app-prod-teams.fifo')).toBe(
      false,
    );
  });

  it('tells GetParameter from GetParameters, as IAM does', () => {
    const param = 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/prod/slack-webhook-url';
    expect(allowed('ssm:GetParameters', param)).toBe(true);
    expect(authorize(statements, { role: 'Role', action: 'ssm:GetParameter', resource: param })).toEqual({
      allowed: false,
      message: `User: arn:aws:sts::000000000000:assumed-role/Role/local is not authorized to perform: ssm:GetParameter on resource: ${param} because no identity-based policy allows the ssm:GetParameter action`,
    });
  });

  it('judges a table and its index as two resources', () => {
    const table = 'arn:aws:dynamodb:eu-west-1:123456789012:table/app-prod-state';
    expect(allowed('dynamodb:Query', `${table}/index/failing`)).toBe(true);
    expect(allowed('dynamodb:Query', table)).toBe(false);
  });

  it('lets an explicit Deny win over an Allow', () => {
    const root = 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/prod/root';
    expect(
      authorize(statements, { role: 'Role', action: 'ssm:GetParameters', resource: root }),
    ).toMatchObject({
      allowed: false,
      message: expect.stringContaining('with an explicit deny'),
    });
  });

  it('matches wildcards as IAM does: actions case-insensitively, resources exactly', () => {
    expect(iamMatch('sqs:*', 'SQS:SendMessage', true)).toBe(true);
    expect(iamMatch('arn:aws:ssm:*:*:parameter/app/*', 'arn:aws:ssm:x:1:parameter/app/a/b')).toBe(true);
    expect(iamMatch('arn:aws:ssm:*:*:parameter/app/?', 'arn:aws:ssm:x:1:parameter/app/ab')).toBe(false);
    expect(iamMatch('arn:aws:sqs:r:1:q', 'arn:aws:sqs:r:1:Q')).toBe(false);
  });

  it('refuses to evaluate a policy feature it does not model, rather than judge it wrongly', () => {
    const t: Template = {
      Resources: {
        R: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyDocument: {
                  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: {} }],
                },
              },
            ],
          },
        },
      },
    };
    expect(() => rolePolicies(t, (v) => v)).toThrow('R: Condition is not evaluated');
  });
});

describe('what each AWS request needs', () => {
  it('authorizes a batch SQS call by its single action, on the queue its URL names', () => {
    expect(neededFor('sqs', 'DeleteMessageBatch', { QueueUrl: 'https://x/1/q.fifo' }, at)).toEqual([
      { action: 'sqs:DeleteMessage', resource: 'arn:aws:sqs:eu-west-1:123456789012:q.fifo' },
    ]);
  });

  it('needs every parameter of a GetParameters, each by its ARN', () => {
    expect(neededFor('ssm', 'GetParameters', { Names: ['/a/b', 'c'] }, at)?.map((n) => n.resource)).toEqual([
      'arn:aws:ssm:eu-west-1:123456789012:parameter/a/b',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/c',
    ]);
  });

  it('names a query’s index, and each table of a transaction with its own action', () => {
    expect(neededFor('dynamodb', 'Query', { TableName: 't', IndexName: 'i' }, at)).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/index/i' },
    ]);
    expect(
      neededFor(
        'dynamodb',
        'TransactWriteItems',
        { TransactItems: [{ Put: { TableName: 'a' } }, { Delete: { TableName: 'b' } }] },
        at,
      ),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/a' },
      { action: 'dynamodb:DeleteItem', resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/b' },
    ]);
  });

  it('knows no operation of a service it does not model', () => {
    expect(neededFor('ssm', 'PutParameter', { Name: '/a' }, at)).toBeUndefined();
    expect(neededFor('s3', 'GetObject', {}, at)).toBeUndefined();
  });
});

describe('the SSM stand-in', () => {
  const ssm = ssmStandIn({ '/app/token': 's3cret' }, at);
  it('refuses more than 10 names in one GetParameters, as SSM does', () => {
    const names = Array.from({ length: 11 }, (_, i) => `/p${i}`);
    expect(ssm.answer('GetParameters', { Names: names })).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException' },
    });
  });
  it('lists unknown names and decrypts only when asked', () => {
    const out = ssm.answer('GetParameters', { Names: ['/app/token', '/app/none'], WithDecryption: true });
    expect(out.body).toMatchObject({
      Parameters: [{ Name: '/app/token', Value: 's3cret' }],
      InvalidParameters: ['/app/none'],
    });
    const sealed = ssm.answer('GetParameters', { Names: ['/app/token'] });
    expect(JSON.stringify(sealed.body)).not.toContain('s3cret');
  });
  it('answers ParameterNotFound for one unknown name', () => {
    expect(ssm.answer('GetParameter', { Name: '/none' })).toMatchObject({
      status: 400,
      body: { __type: 'ParameterNotFound' },
    });
  });
});
