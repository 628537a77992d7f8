/**
 * cdktf's jest matchers for the stacks' tests: `toHaveResource`, `toHaveResourceWithProperties`,
 * `toHaveDataSource`, `toHaveDataSourceWithProperties` (https://developer.hashicorp.com/terraform/cdktf/test/unit-tests).
 *
 * They take a synthesized stack (`Testing.synth(...)`, or the path of a written `cdk.tf.json`) and a provider class,
 * and pass when SOME resource of that type matches `expect.objectContaining(properties)` on its Terraform
 * (snake_case) attributes: a nested object must be equal, unless it is itself written as `expect.objectContaining`.
 * They never say "exactly one", and cannot say "without this attribute": a test that needs either keeps reading
 * the JSON.
 */
import { Testing } from 'cdktf';
// The matchers' types: this module declares them on jest's global `Matchers`.
import 'cdktf/lib/testing/adapters/jest';

Testing.setupJest();
