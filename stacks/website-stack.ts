/**
 * The website's hosting, deployed before the APIs: a private, encrypted bucket read only by CloudFront through
 * Origin Access Control (HTTPS only, security headers, `index.html` root). Its host name (the configured
 * `website.domainName`, else the distribution's `*.cloudfront.net` name) is the one origin the APIs allow.
 * The files go up later, with the API endpoints, in the website content stack.
 */
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { CloudfrontResponseHeadersPolicy } from '@cdktf/provider-aws/lib/cloudfront-response-headers-policy';
import type { Environment } from '../config/load';
import { names, OUTPUTS } from '../system/definition';
import { SecureBucket } from './constructs/secure-bucket';
import { EnvironmentStack } from './environment-stack';

/** AWS-managed CloudFront cache policy "CachingOptimized". */
const CACHING_OPTIMIZED_POLICY_ID = '658327ea-f89d-4fab-a63d-7e88639e58f6';

export class WebsiteStack extends EnvironmentStack {
  readonly bucket: SecureBucket;
  readonly distribution: CloudfrontDistribution;
  /** `https://<host>`: the only origin CORS allows on the APIs. */
  readonly allowedOrigin: string;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'website', env);
    const prefix = names.prefix(env.name);
    const { domainName, certificateArn } = env.config.website;
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
        strictTransportSecurity: {
          accessControlMaxAgeSec: 63072000,
          includeSubdomains: true,
          preload: true,
          override: true,
        },
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
      origin: [{ domainName: bucket.bucketRegionalDomainName, originId, originAccessControlId: oac.id }],
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
      aliases: domainName ? [domainName] : undefined,
      viewerCertificate: viewerCertificate(certificateArn),
    });
    this.bucket.addToPolicy({
      sid: 'CloudFrontReadsThroughOac',
      actions: ['s3:GetObject'],
      resources: [`${bucket.arn}/*`],
      principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
      condition: [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [this.distribution.arn] }],
    });

    this.allowedOrigin = `https://${domainName ?? this.distribution.domainName}`;

    new TerraformOutput(this, OUTPUTS.websiteUrl, { value: this.allowedOrigin });
  }
}

/**
 * The `*.cloudfront.net` certificate, or the configured ACM certificate: SNI only (no dedicated-IP charge) and
 * TLS 1.2 at least, as CloudFront recommends for custom domains
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudfront_distribution#viewer-certificate-arguments).
 */
function viewerCertificate(certificateArn: string | undefined) {
  if (!certificateArn) return { cloudfrontDefaultCertificate: true };
  return { acmCertificateArn: certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' };
}
