/** The website hosting stack alone (no bundling): the origin the APIs allow, with and without a custom domain. */
import { Testing } from 'cdktf';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { loadEnvironment } from '../../config/load';
import { WebsiteStack } from '../../stacks/website-stack';
import './cdktf-matchers';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

function hosting(website: { domainName?: string; certificateArn?: string }) {
  const dev = loadEnvironment('dev');
  const stack = new WebsiteStack(Testing.app(), {
    ...dev,
    config: { ...dev.config, website },
  });
  const synthesized = Testing.synth(stack);
  return { stack, synthesized, json: JSON.parse(synthesized) };
}

describe('website hosting', () => {
  it("allows the distribution's own https name when no domain is configured", () => {
    const { stack, synthesized, json } = hosting({});
    expect(stack.allowedOrigin).toMatch(/^https:\/\/\$\{TfToken\[/);
    expect(synthesized).toHaveResourceWithProperties(CloudfrontDistribution, {
      viewer_certificate: { cloudfront_default_certificate: true },
    });
    expect(json.output.websiteUrl.value).toMatch(
      /^https:\/\/\$\{aws_cloudfront_distribution\.distribution\.domain_name\}$/,
    );
  });

  it('serves and allows the configured domain, with its certificate, SNI only and TLS 1.2 at least', () => {
    const { stack, synthesized, json } = hosting({ domainName: 'www.example.org', certificateArn: CERT });
    expect(stack.allowedOrigin).toBe('https://www.example.org');
    expect(synthesized).toHaveResourceWithProperties(CloudfrontDistribution, {
      aliases: ['www.example.org'],
      viewer_certificate: {
        acm_certificate_arn: CERT,
        ssl_support_method: 'sni-only',
        minimum_protocol_version: 'TLSv1.2_2021',
      },
    });
    expect(json.output.websiteUrl.value).toBe('https://www.example.org');
  });
});
