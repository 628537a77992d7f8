/**
 * Builds every stack of the given environments, in `STACKS` order, plus one account stack per region and the
 * state bootstrap stack.
 */
import type { App } from 'cdktf';
import type { Environment } from '../config/load';
import { bundleHandlers } from '../build/bundle';
import { bundleHandlersFor } from '../build/tracing-variant';
import type { WebsiteFile } from '../build/website';
import { FUNCTIONS, type FunctionKey } from '../system/definition';
import { AccountStack, environmentsByRegion } from './account-stack';
import { StateBootstrapStack } from './bootstrap-stack';
import { ClickstreamStack } from './clickstream-stack';
import { MysfitsStack } from './mysfits-stack';
import { QuestionsStack } from './questions-stack';
import { TracingStack } from './tracing-stack';
import { WebsiteContentStack } from './website-content-stack';
import { WebsiteStack } from './website-stack';

export interface EnvironmentStacks {
  readonly tracing: TracingStack;
  readonly website: WebsiteStack;
  readonly mysfits: MysfitsStack;
  readonly questions: QuestionsStack;
  readonly clickstream: ClickstreamStack;
  readonly websiteContent: WebsiteContentStack;
}

export interface BuildOptions {
  /** Website files to upload; defaults to `buildWebsite()`. */
  readonly websiteFiles?: readonly WebsiteFile[];
}

export function buildEnvironment(
  app: App,
  env: Environment,
  account: AccountStack,
  options: BuildOptions = {},
): EnvironmentStacks {
  const tracing = new TracingStack(app, env);
  // The hosting comes first: its host name is the origin every API allows.
  const website = new WebsiteStack(app, env);
  const allowedOrigin = website.allowedOrigin;
  const mysfits = new MysfitsStack(app, env, { allowedOrigin });
  const questions = new QuestionsStack(app, env, { allowedOrigin });
  const clickstream = new ClickstreamStack(app, env, { allowedOrigin, mysfitsApiUrl: mysfits.apiUrl });
  const websiteContent = new WebsiteContentStack(app, env, {
    bucket: website.bucket.bucket.bucket,
    files: options.websiteFiles,
    endpoints: {
      mysfitsApiEndpoint: mysfits.apiUrl,
      questionsApiEndpoint: questions.apiUrl,
      streamingApiEndpoint: clickstream.apiUrl,
    },
  });
  // Stages log through API Gateway's account-level CloudWatch role, and the questions topic's active tracing needs
  // the X-Ray resource policy: both in the account stack.
  for (const stack of [mysfits, questions, clickstream]) stack.addDependency(account);
  return { tracing, website, mysfits, questions, clickstream, websiteContent };
}

export function buildApp(app: App, environments: readonly Environment[], options: BuildOptions = {}) {
  // One esbuild run for all handlers: shared modules (AWS SDK, X-Ray SDK) are parsed once.
  bundleHandlers(Object.keys(FUNCTIONS) as FunctionKey[]);
  if (environments.some((env) => env.config.tracing === 'opentelemetry')) {
    bundleHandlersFor(Object.keys(FUNCTIONS) as FunctionKey[], 'opentelemetry');
  }
  const bootstrap = new StateBootstrapStack(app, environments);
  const accounts = new Map<string, AccountStack>();
  for (const [region, envs] of environmentsByRegion(environments))
    accounts.set(region, new AccountStack(app, region, envs));
  const stacks = Object.fromEntries(
    environments.map((env) => [env.name, buildEnvironment(app, env, accounts.get(env.config.region)!, options)]),
  );
  return { bootstrap, accounts, stacks };
}
