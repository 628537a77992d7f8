/**
 * An SNS topic with its secure defaults built in: encrypted at rest with KMS (the AWS-managed `alias/aws/sns`
 * key unless a customer key is given) and a topic policy that denies every request not made over TLS. Callers
 * add the statements that say who may do what (e.g. who may publish) with `addToPolicy`, until synth.
 *
 * The topic, its policy and the policy document are created directly in the given scope, with ids `<id>`,
 * `<id>-policy` and `<id>-policy-document`: their Terraform addresses are those of the resources already
 * deployed, so adopting the construct replaces nothing.
 */
import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { SnsTopic, type SnsTopicConfig } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { denyInsecureTransport, type Statement } from './policy-statements';

/** The AWS-managed key of SNS. */
export const SNS_MANAGED_KEY = 'alias/aws/sns';

/**
 * The actions an SNS topic policy can name (a topic policy accepts only these), all denied over plain HTTP.
 * AWS documents the TLS-only statement for topics as Deny, Principal `*`, Condition
 * `Bool { aws:SecureTransport: false }` (https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit).
 */
export const SNS_TOPIC_ACTIONS = [
  'sns:Publish',
  'sns:Subscribe',
  'sns:Receive',
  'sns:GetTopicAttributes',
  'sns:SetTopicAttributes',
  'sns:AddPermission',
  'sns:RemovePermission',
  'sns:DeleteTopic',
  'sns:ListSubscriptionsByTopic',
];

export interface SecureTopicProps extends Omit<SnsTopicConfig, 'kmsMasterKeyId' | 'policy'> {
  readonly name: string;
  /** A customer-managed KMS key (id, ARN or alias); default the AWS-managed `alias/aws/sns`. */
  readonly kmsKeyId?: string;
}

export class SecureTopic {
  readonly topic: SnsTopic;
  readonly policy: SnsTopicPolicy;
  private readonly statements: Statement[] = [];
  private readonly policyDocument: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: SecureTopicProps) {
    const { kmsKeyId, ...topicConfig } = props;
    this.topic = new SnsTopic(scope, id, { ...topicConfig, kmsMasterKeyId: kmsKeyId ?? SNS_MANAGED_KEY });
    this.policyDocument = new DataAwsIamPolicyDocument(scope, `${id}-policy-document`, { statement: this.document() });
    this.policy = new SnsTopicPolicy(scope, `${id}-policy`, { arn: this.topic.arn, policy: this.policyDocument.json });
  }

  get arn(): string {
    return this.topic.arn;
  }

  /** Adds a statement to the topic policy, before the TLS-only deny. */
  addToPolicy(...statements: Statement[]): void {
    this.statements.push(...statements);
    this.policyDocument.putStatement(this.document());
  }

  private document(): Statement[] {
    return [...this.statements, denyInsecureTransport(SNS_TOPIC_ACTIONS, [this.topic.arn])];
  }
}
