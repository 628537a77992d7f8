/**
 * Per-environment configuration, validated with zod at synth so that a missing or malformed setting stops
 * synth with a message naming it (`config/dev: notificationEmail: Invalid email address`).
 */
import { z } from 'zod';
import { DEFAULTS } from '../system/definition';
import { DEFAULT_TRACING_BACKEND, TRACING_BACKENDS } from '../build/tracing-backends';

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
// S3 bucket naming rules (no dots: virtual-host style TLS breaks on dotted names).
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** The values CloudWatch Logs accepts for a log group's retention. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const region = z.string().regex(AWS_REGION, 'must be an AWS region such as eu-west-1');

/** A DNS host name (lower case, no scheme, no trailing dot): it becomes a CloudFront alias and the CORS origin. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/**
 * CloudFront only takes ACM certificates from us-east-1
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html).
 */
const CLOUDFRONT_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;

/**
 * Where the website is served. Without a domain, from the distribution's own `*.cloudfront.net` name; with one,
 * from that name (an alias of the distribution), which needs a certificate covering it.
 */
const website = z
  .strictObject({
    domainName: z
      .string()
      .regex(HOST_NAME, 'must be a host name such as www.example.org (no scheme, no path)')
      .optional(),
    certificateArn: z
      .string()
      .regex(
        CLOUDFRONT_CERTIFICATE_ARN,
        'must be the ARN of an ACM certificate in us-east-1 (CloudFront only uses those)',
      )
      .optional(),
  })
  .superRefine((value, ctx) => {
    if (value.domainName && !value.certificateArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificateArn'],
        message: 'required with website.domainName: an ACM certificate (us-east-1) covering it',
      });
    }
    if (value.certificateArn && !value.domainName) {
      ctx.addIssue({
        code: 'custom',
        path: ['domainName'],
        message: 'required with website.certificateArn: the host name the certificate covers',
      });
    }
  });

/**
 * WAF's rate-based rule windows; its limit is at least 10
 * (https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html).
 */
const RATE_WINDOWS_SECONDS = [60, 120, 300, 600] as const;

export const environmentConfigSchema = z.strictObject({
  region,
  /** Optional guard: the AWS provider refuses to run against any other account. */
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  notificationEmail: z.email(),
  /** The website's host; its origin is the only one CORS allows on the APIs. */
  website: website.default({}),
  state: z.strictObject({
    bucket: z.string().regex(BUCKET_NAME, 'must be an S3 bucket name (3-63 of a-z, 0-9, -)'),
    region,
  }),
  sampling: z.strictObject({
    /** Traces per second always recorded before `fixedRate` applies. */
    reservoirSize: z.int().min(0),
    fixedRate: z.number().min(0).max(1),
  }),
  logRetentionDays: z
    .number()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(DEFAULTS.logRetentionDays),
  apiThrottling: z.strictObject({
    rateLimit: z.number().positive(),
    burstLimit: z.int().positive(),
  }),
  /** The seed's troubleshooting exercise: off unless switched on. */
  hangingException: z
    .strictObject({
      enabled: z.boolean().default(false),
      rate: z.number().gt(0).max(1).default(0.5),
      delayMs: z.int().min(0).max(9000).default(DEFAULTS.hangingExceptionDelayMs),
    })
    .default({ enabled: false, rate: 0.5, delayMs: DEFAULTS.hangingExceptionDelayMs }),
  /**
   * How the functions are instrumented: the X-Ray SDK (in maintenance mode since 2026-02-25) or OpenTelemetry
   * (AWS's recommended path: https://docs.aws.amazon.com/xray/latest/devguide/xray-sdk-migration.html). Both
   * send the same trace; see docs/handlers.md.
   */
  tracing: z.enum(TRACING_BACKENDS).default(DEFAULT_TRACING_BACKEND),
  mysfitsLookupTimeoutMs: z.int().positive().max(30000).default(DEFAULTS.mysfitsLookupTimeoutMs),
  /** Per-client (per source IP) limit on the questions API, enforced by an AWS WAF rate-based rule. */
  questionsRateLimit: z.strictObject({
    enabled: z.boolean(),
    /** Requests one IP may send within the window; WAF's minimum is 10. */
    limit: z.int().min(10),
    windowSeconds: z.number().refine((seconds) => (RATE_WINDOWS_SECONDS as readonly number[]).includes(seconds), {
      message: `must be one of ${RATE_WINDOWS_SECONDS.join(', ')}`,
    }),
  }),
  /** IAM roles (besides the stream function's) the topic policy lets publish: who may run
   * `npm run replay-questions` for this environment. None by default. */
  questionReplayRoleArns: z
    .array(
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
          'must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)',
        ),
    )
    .default([]),
  /**
   * Days a question (personal data) is kept before DynamoDB's TTL deletes it. More than the 14 days the stream's
   * on-failure queue keeps a message, so every question whose e-mail failed can still be replayed.
   */
  questionRetentionDays: z
    .int()
    .min(15, 'must be at least 15 (the on-failure queue keeps messages 14 days)')
    .max(3650)
    .default(DEFAULTS.questionRetentionDays),
});

export type EnvironmentConfig = z.output<typeof environmentConfigSchema>;
export type EnvironmentConfigInput = z.input<typeof environmentConfigSchema>;
