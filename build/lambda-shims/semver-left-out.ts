/**
 * Stands in for `semver` in Lambda bundles (see `LAMBDA_ALIASES` in build/bundle.ts). Only aws-xray-sdk-core's
 * SDK v2 patcher (`captureAWS`, `captureAWSClient`) uses it, to check the v2 SDK's version; the handlers use SDK v3.
 */
export function gte(): never {
  throw new Error(
    'semver is left out of Lambda bundles (build/bundle.ts): SDK v2 capture (captureAWS) is not supported',
  );
}
