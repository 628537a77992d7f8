/** IAM statements as data: the project writes every policy as an `aws_iam_policy_document` data source. */
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { Construct } from 'constructs';

export type Statement = DataAwsIamPolicyDocumentStatement;

/** X-Ray's write actions have no resource-level permissions: the one place `*` is allowed. */
export const XRAY_WRITE: Statement = {
  sid: 'XRayWrite',
  actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  resources: ['*'],
};

export function allow(actions: string[], resources: string[], sid?: string): Statement {
  return { sid, effect: 'Allow', actions, resources };
}

/**
 * Trust policy for a role assumed by one AWS service. Conditions only where AWS documents them for that service:
 * a condition key the service does not send when it assumes the role makes every assume fail.
 */
export function assumeRolePolicy(scope: Construct, id: string, service: string, conditions?: Statement['condition']) {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: [service] }],
        condition: conditions,
      },
    ],
  });
}

/** Denies every request to the resource that does not use TLS. */
export function denyInsecureTransport(actions: string[], resources: string[]): Statement {
  return {
    sid: 'DenyInsecureTransport',
    effect: 'Deny',
    actions,
    resources,
    principals: [{ type: '*', identifiers: ['*'] }],
    condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
  };
}
