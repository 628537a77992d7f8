/**
 * Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles (see `LAMBDA_ALIASES` in build/bundle.ts):
 * the default chain's first link, credentials from the environment, which is where Lambda puts them.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
