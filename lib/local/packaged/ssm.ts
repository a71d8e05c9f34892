/**
 * SSM Parameter Store's GetParameter and GetParameters for SecureStrings, refusing what SSM
 * refuses: more than 10 names in one GetParameters (ValidationException), an unknown name in a
 * GetParameter (ParameterNotFound). Unknown names in a GetParameters are listed, not thrown.
 * Without WithDecryption a SecureString's value is its ciphertext, as SSM answers.
 */
export interface SsmAnswer {
  status: number;
  body: Record<string, unknown>;
}

export function ssmStandIn(parameters: Record<string, string>, at: { region: string; account: string }) {
  const describe = (name: string, decrypt: boolean) => ({
    Name: name,
    Type: 'SecureString',
    Value: decrypt ? parameters[name] : Buffer.from(`kms:${name}`).toString('base64'),
    Version: 1,
    ARN: `arn:aws:ssm:${at.region}:${at.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
  });
  const error = (type: string, message: string): SsmAnswer => ({
    status: 400,
    body: { __type: type, message },
  });
  return {
    parameters,
    answer(op: string, body: Record<string, unknown>): SsmAnswer {
      const decrypt = body.WithDecryption === true;
      if (op === 'GetParameters') {
        const names = (body.Names ?? []) as string[];
        if (names.length < 1 || names.length > 10)
          return error(
            'ValidationException',
            `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length ${names.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
          );
        const known = names.filter((n) => parameters[n] !== undefined);
        return {
          status: 200,
          body: {
            Parameters: known.map((n) => describe(n, decrypt)),
            InvalidParameters: names.filter((n) => parameters[n] === undefined),
          },
        };
      }
      if (op === 'GetParameter') {
        const name = String(body.Name ?? '');
        if (parameters[name] === undefined) return error('ParameterNotFound', '');
        return { status: 200, body: { Parameter: describe(name, decrypt) } };
      }
      return error('UnknownOperationException', `${op} is not served by the local SSM stand-in`);
    },
  };
}
export type SsmStandIn = ReturnType<typeof ssmStandIn>;
