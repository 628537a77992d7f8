// Loaded by jest before every test file (jest.config.js `setupFiles`).
// The AWS SDK's notice that its future releases need Node 22 would otherwise repeat in every suite's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// cdktf's CLI and library call home for version checks unless told not to; tests must not touch the network.
process.env.CHECKPOINT_DISABLE ??= '1';
