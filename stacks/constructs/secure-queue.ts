/**
 * An SQS queue with its secure defaults built in: server-side encrypted (SQS-managed keys, SSE-SQS, unless a
 * KMS key is given) and a queue policy that denies every request not made over TLS. Callers add the statements
 * that say who may do what (e.g. who may send) with `addToPolicy`, until synth.
 *
 * The queue, its policy and the policy document are created directly in the given scope, with ids `<id>`,
 * `<id>-policy` and `<id>-policy-document`: their Terraform addresses are those of the resources already
 * deployed, so adopting the construct replaces nothing.
 */
import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { SqsQueue, type SqsQueueConfig } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { denyInsecureTransport, type Statement } from './policy-statements';

/**
 * Every SQS action, denied over plain HTTP: AWS's best practice for queues is a queue policy whose Deny
 * statement has the condition `Bool { aws:SecureTransport: false }`
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html#enforce-encryption-data-in-transit).
 */
export const SQS_ALL_ACTIONS = ['sqs:*'];

export interface SecureQueueProps extends Omit<SqsQueueConfig, 'sqsManagedSseEnabled' | 'kmsMasterKeyId' | 'policy'> {
  readonly name: string;
  /** A KMS key (id, ARN or alias) for SSE-KMS; default SSE-SQS (SQS-managed keys). */
  readonly kmsKeyId?: string;
}

export class SecureQueue {
  readonly queue: SqsQueue;
  readonly policy: SqsQueuePolicy;
  private readonly statements: Statement[] = [];
  private readonly policyDocument: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    const { kmsKeyId, ...queueConfig } = props;
    const encryption = kmsKeyId ? { kmsMasterKeyId: kmsKeyId } : { sqsManagedSseEnabled: true };
    this.queue = new SqsQueue(scope, id, { ...queueConfig, ...encryption });
    this.policyDocument = new DataAwsIamPolicyDocument(scope, `${id}-policy-document`, { statement: this.document() });
    this.policy = new SqsQueuePolicy(scope, `${id}-policy`, {
      queueUrl: this.queue.url,
      policy: this.policyDocument.json,
    });
  }

  get arn(): string {
    return this.queue.arn;
  }

  /** Adds a statement to the queue policy, before the TLS-only deny. */
  addToPolicy(...statements: Statement[]): void {
    this.statements.push(...statements);
    this.policyDocument.putStatement(this.document());
  }

  private document(): Statement[] {
    return [...this.statements, denyInsecureTransport(SQS_ALL_ACTIONS, [this.queue.arn])];
  }
}
