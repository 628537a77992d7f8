/** Resolves tokens the way cdktf does when it writes `cdk.tf.json` (its own helper is not exported). */
import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';

const RESOLVER = new DefaultTokenResolver(new StringConcat());

export function resolveTokens<T>(scope: IConstruct, value: T): any {
  return Tokenization.resolve(value, { scope, preparing: false, resolver: RESOLVER });
}
