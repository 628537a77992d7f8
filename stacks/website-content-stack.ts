/**
 * The website's files, deployed last: every file of `build/website.ts` uploaded to the hosting stack's bucket
 * with its content type and Cache-Control (content-hashed script and styles for a year, the page never), and
 * `config.json` written from the deployed API endpoints (never cached either).
 */
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import type { Construct } from 'constructs';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { buildWebsite, CACHE_CONTROL, type WebsiteFile } from '../build/website';
import type { Environment } from '../config/load';
import { EnvironmentStack } from './environment-stack';

export const WEBSITE_CONFIG_KEY = 'config.json';

export interface WebsiteEndpoints {
  readonly mysfitsApiEndpoint: string;
  readonly questionsApiEndpoint: string;
  readonly streamingApiEndpoint: string;
}

export interface WebsiteContentStackProps {
  /** The hosting stack's bucket name (a cross-stack reference). */
  readonly bucket: string;
  readonly endpoints: WebsiteEndpoints;
  /** Defaults to `buildWebsite()`. */
  readonly files?: readonly WebsiteFile[];
}

export class WebsiteContentStack extends EnvironmentStack {
  readonly objects: S3Object[] = [];

  constructor(scope: Construct, env: Environment, props: WebsiteContentStackProps) {
    super(scope, 'website-content', env);
    const files = (props.files ?? buildWebsite()).filter((file) => file.key !== WEBSITE_CONFIG_KEY);
    for (const file of files) {
      const id = `file-${file.key.replace(/[^A-Za-z0-9]+/g, '-')}`;
      const asset = new TerraformAsset(this, `${id}-asset`, { path: file.absolutePath, type: AssetType.FILE });
      this.objects.push(
        new S3Object(this, id, {
          bucket: props.bucket,
          key: file.key,
          source: asset.path,
          sourceHash: asset.assetHash,
          contentType: file.contentType,
          cacheControl: file.cacheControl,
        }),
      );
    }
    this.objects.push(
      new S3Object(this, 'config-json', {
        bucket: props.bucket,
        key: WEBSITE_CONFIG_KEY,
        content: Fn.jsonencode({ ...props.endpoints }),
        contentType: 'application/json',
        cacheControl: CACHE_CONTROL.page,
      }),
    );
  }
}
