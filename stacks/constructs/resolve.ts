/** Resolves tokens the way cdktf does when it writes `cdk.tf.json` (its own helper is not exported). */
import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';

const RESOLVER = new DefaultTokenResolver(new StringConcat());

// biome-ignore lint/suspicious/noExplicitAny: the result is untyped Terraform JSON, read by policy checks and tests.
export function resolveTokens<T>(scope: IConstruct, value: T): any {
  return Tokenization.resolve(value, { scope, preparing: false, resolver: RESOLVER });
}
