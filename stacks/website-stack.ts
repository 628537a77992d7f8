/**
 * The website: a private, encrypted bucket read only by CloudFront through Origin Access Control (HTTPS only,
 * security headers, `index.html` root), the files of `build/website.ts` uploaded with their content types, and
 * `config.json` written from the deployed API endpoints.
 */
import { AssetType, Fn, TerraformAsset, TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { CloudfrontResponseHeadersPolicy } from '@cdktf/provider-aws/lib/cloudfront-response-headers-policy';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { buildWebsite, type WebsiteFile } from '../build/website';
import type { Environment } from '../config/load';
import { names, OUTPUTS } from '../system/definition';
import { SecureBucket } from './constructs/secure-bucket';
import { EnvironmentStack } from './environment-stack';

/** AWS-managed CloudFront cache policy "CachingOptimized". */
const CACHING_OPTIMIZED_POLICY_ID = '658327ea-f89d-4fab-a63d-7e88639e58f6';
export const WEBSITE_CONFIG_KEY = 'config.json';

export interface WebsiteEndpoints {
  readonly mysfitsApiEndpoint: string;
  readonly questionsApiEndpoint: string;
  readonly streamingApiEndpoint: string;
}

export interface WebsiteStackProps {
  readonly endpoints: WebsiteEndpoints;
  /** Defaults to `buildWebsite()`. */
  readonly files?: readonly WebsiteFile[];
}

export class WebsiteStack extends EnvironmentStack {
  readonly bucket: SecureBucket;
  readonly distribution: CloudfrontDistribution;
  readonly objects: S3Object[] = [];

  constructor(scope: Construct, env: Environment, props: WebsiteStackProps) {
    super(scope, 'website', env);
    const prefix = names.prefix(env.name);
    this.bucket = new SecureBucket(this, 'site-bucket', { bucketPrefix: `${prefix}-website-`, forceDestroy: true });
    const bucket = this.bucket.bucket;

    const oac = new CloudfrontOriginAccessControl(this, 'oac', {
      name: `${prefix}-website`,
      description: 'CloudFront reads the private website bucket',
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });
    const headers = new CloudfrontResponseHeadersPolicy(this, 'security-headers', {
      name: `${prefix}-security-headers`,
      securityHeadersConfig: {
        strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: 'DENY', override: true },
        referrerPolicy: { referrerPolicy: 'strict-origin-when-cross-origin', override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self'",
            "script-src 'self'",
            `connect-src 'self' https://*.execute-api.${env.config.region}.amazonaws.com`,
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
          ].join('; '),
          override: true,
        },
      },
    });
    const originId = 'website-bucket';
    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: `${prefix} website`,
      defaultRootObject: 'index.html',
      httpVersion: 'http2and3',
      priceClass: 'PriceClass_100',
      origin: [
        { domainName: bucket.bucketRegionalDomainName, originId, originAccessControlId: oac.id },
      ],
      defaultCacheBehavior: {
        targetOriginId: originId,
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['GET', 'HEAD'],
        cachedMethods: ['GET', 'HEAD'],
        compress: true,
        cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
        responseHeadersPolicyId: headers.id,
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    });
    this.bucket.addToPolicy({
      sid: 'CloudFrontReadsThroughOac',
      actions: ['s3:GetObject'],
      resources: [`${bucket.arn}/*`],
      principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
      condition: [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [this.distribution.arn] }],
    });

    const files = (props.files ?? buildWebsite()).filter((file) => file.key !== WEBSITE_CONFIG_KEY);
    for (const file of files) {
      const id = `file-${file.key.replace(/[^A-Za-z0-9]+/g, '-')}`;
      const asset = new TerraformAsset(this, `${id}-asset`, { path: file.absolutePath, type: AssetType.FILE });
      this.objects.push(
        new S3Object(this, id, {
          bucket: bucket.id,
          key: file.key,
          source: asset.path,
          sourceHash: asset.assetHash,
          contentType: file.contentType,
          cacheControl: file.key.endsWith('.html') ? 'no-cache' : 'public, max-age=300',
          dependsOn: this.bucket.ready,
        }),
      );
    }
    this.objects.push(
      new S3Object(this, 'config-json', {
        bucket: bucket.id,
        key: WEBSITE_CONFIG_KEY,
        content: Fn.jsonencode({ ...props.endpoints }),
        contentType: 'application/json',
        cacheControl: 'no-cache',
        dependsOn: this.bucket.ready,
      }),
    );

    new TerraformOutput(this, OUTPUTS.websiteUrl, { value: `https://${this.distribution.domainName}` });
  }
}
