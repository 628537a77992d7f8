/** Builds every stack of the given environments, in `STACKS` order, plus the state bootstrap stack. */
import type { App } from 'cdktf';
import type { Environment } from '../config/load';
import { bundleHandlers } from '../build/bundle';
import type { WebsiteFile } from '../build/website';
import { FUNCTIONS, type FunctionKey } from '../system/definition';
import { StateBootstrapStack } from './bootstrap-stack';
import { ClickstreamStack } from './clickstream-stack';
import { MysfitsStack } from './mysfits-stack';
import { QuestionsStack } from './questions-stack';
import { TracingStack } from './tracing-stack';
import { WebsiteStack } from './website-stack';

export interface EnvironmentStacks {
  readonly tracing: TracingStack;
  readonly mysfits: MysfitsStack;
  readonly questions: QuestionsStack;
  readonly clickstream: ClickstreamStack;
  readonly website: WebsiteStack;
}

export interface BuildOptions {
  /** Website files to upload; defaults to `buildWebsite()`. */
  readonly websiteFiles?: readonly WebsiteFile[];
}

export function buildEnvironment(app: App, env: Environment, options: BuildOptions = {}): EnvironmentStacks {
  const tracing = new TracingStack(app, env);
  const mysfits = new MysfitsStack(app, env);
  const questions = new QuestionsStack(app, env);
  const clickstream = new ClickstreamStack(app, env, { mysfitsApiUrl: mysfits.apiUrl });
  const website = new WebsiteStack(app, env, {
    files: options.websiteFiles,
    endpoints: {
      mysfitsApiEndpoint: mysfits.apiUrl,
      questionsApiEndpoint: questions.apiUrl,
      streamingApiEndpoint: clickstream.apiUrl,
    },
  });
  // Stages log through API Gateway's account-level CloudWatch role, set up by the tracing stack.
  for (const stack of [mysfits, questions, clickstream]) stack.addDependency(tracing);
  return { tracing, mysfits, questions, clickstream, website };
}

export function buildApp(app: App, environments: readonly Environment[], options: BuildOptions = {}) {
  // One esbuild run for all handlers: shared modules (AWS SDK, X-Ray SDK) are parsed once.
  bundleHandlers(Object.keys(FUNCTIONS) as FunctionKey[]);
  const bootstrap = new StateBootstrapStack(app, environments);
  const stacks = Object.fromEntries(environments.map((env) => [env.name, buildEnvironment(app, env, options)]));
  return { bootstrap, stacks };
}
