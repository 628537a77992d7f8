/**
 * An S3 bucket with the secure defaults of AWS Solutions Constructs: versioned, encrypted (SSE-S3 or
 * AWS-managed KMS), every public access blocked, ACLs disabled (bucket owner enforced) and a bucket policy that
 * denies any request not using TLS. Extra policy statements can be added until synth.
 */
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import type { ITerraformDependable, TerraformResourceLifecycle } from 'cdktf';
import { denyInsecureTransport, type Statement } from './policy-statements';

export interface SecureBucketProps {
  /** Exact name (state bucket) or a prefix Terraform completes with a unique suffix. */
  readonly bucket?: string;
  readonly bucketPrefix?: string;
  /** `AES256` (SSE-S3, needed for CloudFront OAC without a key policy) or `aws:kms` (the AWS-managed key). */
  readonly encryption?: 'AES256' | 'aws:kms';
  readonly forceDestroy?: boolean;
  readonly lifecycle?: TerraformResourceLifecycle;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  readonly policy: S3BucketPolicy;
  private readonly statements: Statement[];
  private readonly policyDocument: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: props.bucket,
      bucketPrefix: props.bucketPrefix,
      forceDestroy: props.forceDestroy ?? false,
      lifecycle: props.lifecycle,
    });
    new S3BucketVersioningA(this, 'versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    const algorithm = props.encryption ?? 'AES256';
    this.encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: algorithm },
          bucketKeyEnabled: algorithm === 'aws:kms' ? true : undefined,
        },
      ],
    });
    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    this.statements = [denyInsecureTransport(['s3:*'], [this.bucket.arn, `${this.bucket.arn}/*`])];
    this.policyDocument = new DataAwsIamPolicyDocument(this, 'policy-document', { statement: this.statements });
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: this.policyDocument.json,
      // S3 rejects a bucket policy written while the public access block is still being applied.
      dependsOn: [this.publicAccessBlock],
    });
  }

  /** Adds a statement to the bucket policy. */
  addToPolicy(statement: Statement): void {
    this.statements.push(statement);
    this.policyDocument.putStatement([...this.statements]);
  }

  /** Things that must exist before objects are written (encryption and ownership settings). */
  get ready(): ITerraformDependable[] {
    return [this.encryption, this.publicAccessBlock];
  }
}
