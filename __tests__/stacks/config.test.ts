import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadEnvironment, loadEnvironments, parseEnvironmentConfig } from '../../config/load';
import { DEFAULTS } from '../../system/definition';

const valid = {
  region: 'eu-west-1',
  notificationEmail: 'staff@example.com',
  questionsRateLimit: { enabled: true, limit: 100, windowSeconds: 300 },
  state: { bucket: 'my-state-bucket', region: 'eu-west-1' },
  sampling: { reservoirSize: 1, fixedRate: 0.1 },
  apiThrottling: { rateLimit: 10, burstLimit: 20 },
};

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

const errorOf = (raw: unknown, env = 'dev') => {
  try {
    parseEnvironmentConfig(env, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('environment configuration', () => {
  it('loads the dev and prod files that ship with the project', () => {
    const envs = loadEnvironments();
    expect(envs.map((e) => e.name)).toEqual(expect.arrayContaining(['dev', 'prod']));
    for (const { config } of envs) {
      expect(config.hangingException.enabled).toBe(false);
      expect(config.sampling.fixedRate).toBeGreaterThanOrEqual(0);
    }
  });

  it('applies defaults for optional settings', () => {
    const config = parseEnvironmentConfig('dev', valid);
    expect(config.logRetentionDays).toBe(DEFAULTS.logRetentionDays);
    expect(config.hangingException).toEqual({ enabled: false, rate: 0.5, delayMs: DEFAULTS.hangingExceptionDelayMs });
    expect(config.mysfitsLookupTimeoutMs).toBe(DEFAULTS.mysfitsLookupTimeoutMs);
    // No domain: the website is served (and the APIs allow it) from the distribution's own name.
    expect(config.website).toEqual({});
    expect(config.questionRetentionDays).toBe(DEFAULTS.questionRetentionDays);
    expect(config.questionReplayRoleArns).toEqual([]);
  });

  it.each(
    (
      [
        [{ ...valid, notificationEmail: 'not-an-email' }, 'config/dev: notificationEmail: Invalid email address'],
        [{ ...valid, notificationEmail: undefined }, 'config/dev: notificationEmail: Invalid input'],
        [{ ...valid, region: 'Europe' }, 'config/dev: region: must be an AWS region'],
        [
          { ...valid, website: { domainName: 'https://www.example.org', certificateArn: CERT } },
          'config/dev: website.domainName: must be a host name',
        ],
        [
          { ...valid, website: { domainName: 'www.example.org' } },
          'config/dev: website.certificateArn: required with website.domainName',
        ],
        [
          { ...valid, website: { certificateArn: CERT } },
          'config/dev: website.domainName: required with website.certificateArn',
        ],
        [
          {
            ...valid,
            website: { domainName: 'www.example.org', certificateArn: CERT.replace('us-east-1', 'eu-west-1') },
          },
          'config/dev: website.certificateArn: must be the ARN of an ACM certificate in us-east-1',
        ],
        [
          { ...valid, websiteOrigin: 'https://www.example.org' },
          'config/dev: (file): Unrecognized key: "websiteOrigin"',
        ],
        [{ ...valid, questionsRateLimit: undefined }, 'config/dev: questionsRateLimit: Invalid input'],
        [
          { ...valid, questionsRateLimit: { enabled: true, limit: 9, windowSeconds: 300 } },
          'config/dev: questionsRateLimit.limit: Too small',
        ],
        [
          { ...valid, questionsRateLimit: { enabled: true, limit: 100, windowSeconds: 30 } },
          'config/dev: questionsRateLimit.windowSeconds: must be one of 60, 120, 300, 600',
        ],
        [
          { ...valid, questionsRateLimit: { enabled: 'yes', limit: 100, windowSeconds: 300 } },
          'config/dev: questionsRateLimit.enabled: Invalid input',
        ],
        [
          { ...valid, state: { bucket: 'Bad_Bucket', region: 'eu-west-1' } },
          'config/dev: state.bucket: must be an S3 bucket name',
        ],
        [{ ...valid, state: undefined }, 'config/dev: state: Invalid input'],
        [{ ...valid, sampling: { reservoirSize: 1, fixedRate: 2 } }, 'config/dev: sampling.fixedRate: Too big'],
        [
          { ...valid, sampling: { reservoirSize: -1, fixedRate: 0.5 } },
          'config/dev: sampling.reservoirSize: Too small',
        ],
        [{ ...valid, logRetentionDays: 10 }, 'config/dev: logRetentionDays: must be one of 1, 3, 5, 7, 14'],
        [
          { ...valid, apiThrottling: { rateLimit: 0, burstLimit: 1 } },
          'config/dev: apiThrottling.rateLimit: Too small',
        ],
        [{ ...valid, hangingException: { enabled: 'yes' } }, 'config/dev: hangingException.enabled: Invalid input'],
        [
          { ...valid, questionRetentionDays: 14 },
          'config/dev: questionRetentionDays: must be at least 15 (the on-failure queue keeps messages 14 days)',
        ],
        [
          { ...valid, questionReplayRoleArns: ['operator'] },
          'config/dev: questionReplayRoleArns.0: must be IAM role ARNs',
        ],
        [
          { ...valid, notifcationEmail: 'typo@example.com' },
          'config/dev: (file): Unrecognized key: "notifcationEmail"',
        ],
      ] as [unknown, string][]
    ).map(([raw, message]) => [message, raw] as const),
  )('reports "%s"', (message, raw) => {
    expect(errorOf(raw)).toContain(message);
  });

  it('accepts a custom domain with its us-east-1 certificate', () => {
    const config = parseEnvironmentConfig('dev', {
      ...valid,
      website: { domainName: 'www.example.org', certificateArn: CERT },
    });
    expect(config.website).toEqual({ domainName: 'www.example.org', certificateArn: CERT });
  });

  it('rejects an environment name that cannot be part of resource names', () => {
    expect(errorOf(valid, 'Dev_1')).toContain('config/Dev_1: environment name must match');
  });

  describe('files', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-config-'));
      fs.writeFileSync(path.join(dir, 'qa.json'), JSON.stringify({ ...valid, notificationEmail: 'nope' }));
      fs.writeFileSync(path.join(dir, 'broken.json'), '{ "region": ');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('names the file and the setting of an invalid file', () => {
      expect(() => loadEnvironment('qa', dir)).toThrow('config/qa: notificationEmail: Invalid email address');
    });
    it('reports a file that is not JSON', () => {
      expect(() => loadEnvironment('broken', dir)).toThrow(/config\/broken: .*broken\.json is not valid JSON/);
    });
    it('reports a missing environment', () => {
      expect(() => loadEnvironment('staging', dir)).toThrow(/config\/staging: no configuration file/);
    });
  });
});
