import { Match } from 'aws-cdk-lib/assertions';

/** Matcher for a resource-policy statement denying every request not made over TLS. */
export function denyInsecureTransport(action: string, resource: unknown) {
  return Match.objectLike({
    Effect: 'Deny',
    Action: action,
    Principal: { AWS: '*' },
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    Resource: resource,
  });
}
