import { conditionHolds } from '../../../local/iam/conditions';
import { denialReason, evaluate, RequestContext, UnsupportedPolicyError, type IamPrincipal, type PolicyStatement, type ResourcePolicy } from '../../../local/iam/policy';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Transform`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/Transform/fn`;
const role = (statements: PolicyStatement[], account = ACCOUNT): IamPrincipal => ({ kind: 'role', arn: ROLE.replace(ACCOUNT, account), account, sessionArn: SESSION.replace(ACCOUNT, account), statements });
const events: IamPrincipal = { kind: 'service', arn: 'events.amazonaws.com', account: ACCOUNT };
const ctx = (keys: Record<string, string | string[]> = {}) => new RequestContext({ 'aws:SecureTransport': 'true', ...keys });
const request = (action: string, resource: string, keys: Record<string, string | string[]> = {}, resourceAccount?: string) => ({ action, resource, context: ctx(keys), resourceAccount });
const allowed = (principal: IamPrincipal, req: ReturnType<typeof request>, policy?: ResourcePolicy) => evaluate(principal, req, policy).allowed;

const BUCKET = 'arn:aws:s3:::curated';
/** The bucket policy every DataLake bucket has: TLS only. */
const TLS_ONLY: ResourcePolicy = {
  kind: 'resource',
  statements: [
    { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`], Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } },
  ],
};

describe('identity policies', () => {
  const put: PolicyStatement = { Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET}/clickstream/*` };

  it('allow what a statement allows, deny the rest implicitly, and let an explicit Deny win', () => {
    expect(allowed(role([put]), request('s3:PutObject', `${BUCKET}/clickstream/a.json`))).toBe(true);
    expect(allowed(role([put]), request('s3:PutObject', `${BUCKET}/other/a.json`))).toBe(false);
    expect(evaluate(role([put]), request('s3:GetObject', `${BUCKET}/clickstream/a.json`))).toEqual({ allowed: false, reason: 'implicit-deny', policy: 'identity' });
    const deny: PolicyStatement = { Effect: 'Deny', Action: 's3:*', Resource: '*' };
    expect(evaluate(role([put, deny]), request('s3:PutObject', `${BUCKET}/clickstream/a.json`))).toEqual({ allowed: false, reason: 'explicit-deny', policy: 'identity', statement: deny });
  });

  it('match actions case-insensitively with wildcards, resources case-sensitively with * and ?', () => {
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['ssm:getParameter', 'kinesis:Get*'], Resource: 'arn:aws:*:us-east-1:*:*' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/dt=202?-*` },
    ];
    expect(allowed(role(statements), request('ssm:GetParameter', 'arn:aws:ssm:us-east-1:1:parameter/x'))).toBe(true);
    expect(allowed(role(statements), request('kinesis:GetRecords', 'arn:aws:kinesis:us-east-1:1:stream/s'))).toBe(true);
    expect(allowed(role(statements), request('kinesis:PutRecord', 'arn:aws:kinesis:us-east-1:1:stream/s'))).toBe(false);
    expect(allowed(role(statements), request('s3:GetObject', `${BUCKET}/dt=2026-11-24/x`))).toBe(true);
    expect(allowed(role(statements), request('s3:GetObject', `${BUCKET}/DT=2026-11-24/x`))).toBe(false);
    expect(allowed(role(statements), request('s3:GetObject', `${BUCKET}/dt=20266-x`))).toBe(false);
  });

  it('read NotAction, NotResource and policy variables', () => {
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', NotResource: [`${BUCKET}/\${aws:PrincipalAccount}/*`, BUCKET] },
    ];
    expect(allowed(role(statements), request('sqs:SendMessage', 'arn:aws:sqs:us-east-1:1:q'))).toBe(true);
    expect(allowed(role(statements), request('iam:PassRole', ROLE))).toBe(false);
    expect(allowed(role(statements), request('s3:GetObject', `${BUCKET}/${ACCOUNT}/x`, { 'aws:PrincipalAccount': ACCOUNT }))).toBe(true);
    expect(allowed(role(statements), request('s3:GetObject', `${BUCKET}/999999999999/x`, { 'aws:PrincipalAccount': ACCOUNT }))).toBe(false);
    // A variable the request does not have matches nothing: the NotResource above then excludes nothing.
    expect(allowed(role(statements), request('s3:GetObject', `${BUCKET}/${ACCOUNT}/x`))).toBe(false);
    expect(allowed(role([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/\${*}literal` }]), request('s3:GetObject', `${BUCKET}/*literal`))).toBe(true);
    expect(allowed(role([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/\${*}literal` }]), request('s3:GetObject', `${BUCKET}/xliteral`))).toBe(false);
  });

  it('hold the prefix-scoped ListBucket grant of the transform role to its condition', () => {
    const list: PolicyStatement = { Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET, Condition: { StringLike: { 's3:prefix': ['clickstream/*'] } } };
    expect(allowed(role([list]), request('s3:ListBucket', BUCKET, { 's3:prefix': 'clickstream/dt=1/x.gz' }))).toBe(true);
    expect(allowed(role([list]), request('s3:ListBucket', BUCKET, { 's3:prefix': 'other/x' }))).toBe(false);
    expect(allowed(role([list]), request('s3:ListBucket', BUCKET))).toBe(false);
  });
});

describe('condition operators', () => {
  const holds = (operator: string, keys: Record<string, unknown>, context: Record<string, string | string[]> = {}) => conditionHolds(operator, keys, new RequestContext(context));

  it('string, ARN, numeric, date, boolean, binary and IP operators', () => {
    expect(holds('StringEquals', { 'aws:SourceAccount': ['1', ACCOUNT] }, { 'aws:sourceaccount': ACCOUNT })).toBe(true); // key names are case-insensitive
    expect(holds('StringEquals', { k: 'A' }, { k: 'a' })).toBe(false);
    expect(holds('StringEqualsIgnoreCase', { k: 'A' }, { k: 'a' })).toBe(true);
    expect(holds('StringNotEquals', { k: ['a', 'b'] }, { k: 'c' })).toBe(true);
    expect(holds('StringNotEquals', { k: ['a', 'b'] }, { k: 'b' })).toBe(false);
    expect(holds('StringLike', { k: 'secretsmanager.*.amazonaws.com' }, { k: 'secretsmanager.eu-west-1.amazonaws.com' })).toBe(true);
    expect(holds('StringNotLike', { k: 'a*' }, { k: 'abc' })).toBe(false);
    expect(holds('ArnEquals', { 'aws:SourceArn': 'arn:aws:events:us-east-1:1:rule/r' }, { 'aws:SourceArn': 'arn:aws:events:us-east-1:1:rule/r' })).toBe(true);
    expect(holds('ArnLike', { 'aws:SourceArn': 'arn:aws:states:*:1:stateMachine:*' }, { 'aws:SourceArn': 'arn:aws:states:eu-west-1:1:stateMachine:m' })).toBe(true);
    // Each ARN part is matched by itself: a * does not cross a colon.
    expect(holds('ArnLike', { k: 'arn:aws:states:*:stateMachine:*' }, { k: 'arn:aws:states:eu-west-1:1:stateMachine:m' })).toBe(false);
    expect(holds('ArnNotEquals', { 'aws:PrincipalArn': ROLE }, { 'aws:PrincipalArn': ROLE })).toBe(false);
    expect(holds('NumericLessThan', { 's3:TlsVersion': 1.2 }, { 's3:TlsVersion': '1.3' })).toBe(false);
    expect(holds('NumericLessThan', { 's3:TlsVersion': 1.2 }, { 's3:TlsVersion': '1.1' })).toBe(true);
    expect(holds('NumericGreaterThanEquals', { 's3:max-keys': '10' }, { 's3:max-keys': '10' })).toBe(true);
    expect(holds('DateLessThan', { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, { 'aws:CurrentTime': '2026-11-24T10:00:00Z' })).toBe(true);
    expect(holds('DateGreaterThan', { 'aws:EpochTime': '1800000000' }, { 'aws:EpochTime': '1700000000' })).toBe(false);
    expect(holds('Bool', { 'aws:SecureTransport': 'false' }, { 'aws:SecureTransport': 'true' })).toBe(false);
    expect(holds('Bool', { 'aws:SecureTransport': false }, { 'aws:SecureTransport': 'false' })).toBe(true);
    expect(holds('BinaryEquals', { k: 'QmluYXJ5' }, { k: 'QmluYXJ5' })).toBe(true);
    expect(holds('IpAddress', { 'aws:SourceIp': '203.0.113.0/24' }, { 'aws:SourceIp': '203.0.113.7' })).toBe(true);
    expect(holds('NotIpAddress', { 'aws:SourceIp': ['203.0.113.0/24'] }, { 'aws:SourceIp': '198.51.100.1' })).toBe(true);
  });

  it('a missing key: positive operators are false, negated ones and IfExists true; Null tests presence', () => {
    expect(holds('StringEquals', { k: 'a' })).toBe(false);
    expect(holds('StringNotEquals', { k: 'a' })).toBe(true);
    expect(holds('ArnNotEquals', { 'aws:PrincipalArn': ROLE })).toBe(true);
    expect(holds('StringEqualsIfExists', { k: 'a' })).toBe(true);
    expect(holds('StringEqualsIfExists', { k: 'a' }, { k: 'b' })).toBe(false);
    expect(holds('Null', { k: 'true' })).toBe(true);
    expect(holds('Null', { k: 'false' })).toBe(false);
    expect(holds('Null', { k: 'false' }, { k: 'x' })).toBe(true);
  });

  it('ForAnyValue and ForAllValues over multivalued keys', () => {
    const tags = { 'aws:TagKeys': ['env', 'team'] };
    expect(holds('ForAnyValue:StringEquals', { 'aws:TagKeys': ['team'] }, tags)).toBe(true);
    expect(holds('ForAnyValue:StringEquals', { 'aws:TagKeys': ['cost'] }, tags)).toBe(false);
    expect(holds('ForAnyValue:StringEquals', { 'aws:TagKeys': ['team'] })).toBe(false);
    expect(holds('ForAllValues:StringEquals', { 'aws:TagKeys': ['env', 'team', 'cost'] }, tags)).toBe(true);
    expect(holds('ForAllValues:StringEquals', { 'aws:TagKeys': ['env'] }, tags)).toBe(false);
    expect(holds('ForAllValues:StringEquals', { 'aws:TagKeys': ['env'] })).toBe(true);
    expect(holds('ForAllValues:StringLike', { 'kms:EncryptionContextKeys': ['aws:*'] }, { 'kms:EncryptionContextKeys': ['aws:s3:arn'] })).toBe(true);
  });

  it('an operator or a construct the evaluator does not model throws', () => {
    expect(() => holds('StringSoundsLike', { k: 'a' })).toThrow(UnsupportedPolicyError);
    expect(() => holds('NullIfExists', { k: 'true' })).toThrow(/not valid/);
    expect(() => holds('StringEquals', { k: { nested: true } })).toThrow(/not a string/);
    expect(() => evaluate(role([{ Effect: 'Allow', Action: 's3:*', Resource: '*', Principal: '*' }]), request('s3:GetObject', BUCKET))).toThrow(/identity-based policy cannot have Principal/);
    expect(() => evaluate(role([{ Effect: 'Allow', Action: 's3:*' } as PolicyStatement]), request('s3:GetObject', BUCKET))).toThrow(/Resource and NotResource/);
    expect(() => evaluate(role([{ Effect: 'Allow', Action: 's3:*', Resource: '*', Extra: 1 } as unknown as PolicyStatement]), request('s3:GetObject', BUCKET))).toThrow(/element Extra/);
    const federated: ResourcePolicy = { kind: 'resource', statements: [{ Effect: 'Allow', Principal: { Weird: 'x' }, Action: '*', Resource: '*' }] };
    expect(() => evaluate(role([]), request('s3:GetObject', BUCKET), federated)).toThrow(/principal type Weird/);
  });
});

describe('resource policies', () => {
  it("deny plain HTTP and old TLS: the DataLake bucket policy lets the run's HTTPS calls through", () => {
    const put: PolicyStatement = { Effect: 'Allow', Action: 's3:PutObject', Resource: `${BUCKET}/*` };
    expect(allowed(role([put]), request('s3:PutObject', `${BUCKET}/k`, { 's3:TlsVersion': '1.3' }), TLS_ONLY)).toBe(true);
    expect(evaluate(role([put]), { ...request('s3:PutObject', `${BUCKET}/k`), context: new RequestContext({ 'aws:SecureTransport': 'false' }) }, TLS_ONLY)).toMatchObject({
      allowed: false,
      reason: 'explicit-deny',
      policy: 'resource',
    });
    expect(allowed(role([put]), request('s3:PutObject', `${BUCKET}/k`, { 's3:TlsVersion': '1.0' }), TLS_ONLY)).toBe(false);
  });

  it('allow a service principal only through the resource policy, with its conditions (a rule-scoped queue policy)', () => {
    const queue = 'arn:aws:sqs:us-east-1:123456789012:buffer';
    const rule = 'arn:aws:events:us-east-1:123456789012:rule/bus/ingest';
    const policy: ResourcePolicy = {
      kind: 'resource',
      statements: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue, Condition: { ArnEquals: { 'aws:SourceArn': rule } } }],
    };
    expect(allowed(events, request('sqs:SendMessage', queue, { 'aws:SourceArn': rule }), policy)).toBe(true);
    expect(allowed(events, request('sqs:SendMessage', queue, { 'aws:SourceArn': `${rule}-other` }), policy)).toBe(false);
    expect(allowed(events, request('sqs:SendMessage', queue, { 'aws:SourceArn': rule }))).toBe(false);
    expect(allowed({ ...events, arn: 'sns.amazonaws.com' }, request('sqs:SendMessage', queue, { 'aws:SourceArn': rule }), policy)).toBe(false);
  });

  it('in one account: a statement naming the role allows alone, one naming the account only delegates to IAM', () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:key-abc123';
    const byRole: ResourcePolicy = { kind: 'resource', statements: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }] };
    const byAccount: ResourcePolicy = { kind: 'resource', statements: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: '*', Resource: '*' }] };
    expect(allowed(role([]), request('secretsmanager:GetSecretValue', secret), byRole)).toBe(true);
    expect(allowed(role([]), request('secretsmanager:GetSecretValue', secret), byAccount)).toBe(false);
    expect(allowed(role([{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: secret }]), request('secretsmanager:GetSecretValue', secret), byAccount)).toBe(true);
  });

  it('the PII secret policy: GetSecretValue by any other role is denied explicitly, whatever its grants', () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:key-abc123';
    const policy: ResourcePolicy = {
      kind: 'resource',
      statements: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'secretsmanager:GetSecretValue', Resource: '*', Condition: { ArnNotEquals: { 'aws:PrincipalArn': ROLE } } }],
    };
    const all: PolicyStatement = { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' };
    expect(allowed(role([all]), request('secretsmanager:GetSecretValue', secret, { 'aws:PrincipalArn': ROLE }), policy)).toBe(true);
    const other = `arn:aws:iam::${ACCOUNT}:role/Other`;
    const decision = evaluate({ ...role([all]), arn: other }, request('secretsmanager:GetSecretValue', secret, { 'aws:PrincipalArn': other }), policy);
    expect(decision).toMatchObject({ allowed: false, reason: 'explicit-deny', policy: 'resource' });
    expect(denialReason(decision, 'secretsmanager:GetSecretValue')).toBe('with an explicit deny in a resource-based policy');
  });

  it('NotPrincipal applies to everyone it does not name', () => {
    const policy: ResourcePolicy = { kind: 'resource', statements: [{ Effect: 'Deny', NotPrincipal: { AWS: ROLE }, Action: 's3:*', Resource: `${BUCKET}/*` }] };
    const get: PolicyStatement = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
    expect(allowed(role([get]), request('s3:GetObject', `${BUCKET}/k`), policy)).toBe(true);
    expect(allowed({ ...role([get]), arn: `arn:aws:iam::${ACCOUNT}:role/Other`, sessionArn: undefined }, request('s3:GetObject', `${BUCKET}/k`), policy)).toBe(false);
  });

  it('across accounts both the identity and the resource policy must allow', () => {
    const stranger = role([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }], '111111111111');
    const queue = 'arn:aws:sqs:us-east-1:123456789012:q';
    const policy: ResourcePolicy = { kind: 'resource', statements: [{ Effect: 'Allow', Principal: { AWS: '111111111111' }, Action: 'sqs:SendMessage', Resource: queue }] };
    expect(allowed(stranger, request('sqs:SendMessage', queue, {}, ACCOUNT))).toBe(false);
    expect(allowed(stranger, request('sqs:SendMessage', queue, {}, ACCOUNT), policy)).toBe(true);
    expect(allowed({ ...stranger, statements: [] }, request('sqs:SendMessage', queue, {}, ACCOUNT), policy)).toBe(false);
  });
});

describe('KMS key policies', () => {
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234';
  const rootDelegation: PolicyStatement = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
  const decrypt: PolicyStatement = { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY };

  it("CDK's default key policy delegates to IAM: the role's grant decides", () => {
    const policy: ResourcePolicy = { kind: 'key', statements: [rootDelegation] };
    expect(allowed(role([decrypt]), request('kms:GenerateDataKey', KEY), policy)).toBe(true);
    const denied = evaluate(role([]), request('kms:GenerateDataKey', KEY), policy);
    expect(denied).toMatchObject({ allowed: false, policy: 'identity' });
    expect(denialReason(denied, 'kms:GenerateDataKey')).toBe('because no identity-based policy allows the kms:GenerateDataKey action');
  });

  it('without the account in the key policy, an IAM grant alone does not allow; a key policy naming the role does', () => {
    const onlyLogs: ResourcePolicy = { kind: 'key', statements: [{ Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' }, Action: 'kms:*', Resource: '*' }] };
    const decision = evaluate(role([decrypt]), request('kms:Decrypt', KEY), onlyLogs);
    expect(decision).toEqual({ allowed: false, reason: 'implicit-deny', policy: 'resource' });
    expect(denialReason(decision, 'kms:Decrypt')).toBe('because no resource-based policy allows the kms:Decrypt action');
    const byRole: ResourcePolicy = { kind: 'key', statements: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:Decrypt', Resource: '*' }] };
    expect(allowed(role([]), request('kms:Decrypt', KEY), byRole)).toBe(true);
  });

  it('kms:ViaService conditions of the reference key policy', () => {
    const viaSecrets: ResourcePolicy = {
      kind: 'key',
      statements: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } } }],
    };
    expect(allowed(role([]), request('kms:Decrypt', KEY, { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' }), viaSecrets)).toBe(true);
    expect(allowed(role([]), request('kms:Decrypt', KEY, { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }), viaSecrets)).toBe(false);
  });
});
